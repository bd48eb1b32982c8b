// Reads a password without it ever being a command-line argument (argv shows in `ps` and in shell
// history): typed at a prompt that does not echo (asked twice) when standard input is a
// terminal, otherwise the first line of standard input (`printf '%s\n' "$PW" | npm run ...`).

export async function readPassword(prompt = "Password: "): Promise<string> {
  if (!process.stdin.isTTY) return firstLine(process.stdin);
  const password = await promptHidden(prompt);
  if ((await promptHidden("Repeat password: ")) !== password) throw new Error("the two passwords differ");
  return password;
}

async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) {
    text += chunk.toString();
    if (text.includes("\n")) break;
  }
  return text.split(/\r?\n/)[0] ?? "";
}

function promptHidden(prompt: string): Promise<string> {
  const { stdin, stderr } = process;
  // Echo goes off before the prompt shows: whatever is typed once the prompt is visible is hidden.
  stdin.setRawMode(true);
  stderr.write(prompt);
  stdin.setEncoding("utf8");
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = "";
    const done = (error?: Error) => {
      stdin.off("data", onData);
      stdin.setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (input: string) => {
      for (const char of input) {
        if (char === "\r" || char === "\n") return done();
        if (char === "\u0003" || char === "\u0004") return done(new Error("cancelled"));
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.on("data", onData);
  });
}
