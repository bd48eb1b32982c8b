// ErrorCodesPlugin: every error grafserv answers carries `extensions.code`, and no error says
// "Did you mean ...?" while suggestions are hidden. Execution errors get their code from
// maskError (src/graphql/errors.ts); this covers what happens before execution:
// - syntax errors get GRAPHQL_PARSE_FAILED and validation errors (unknown fields, limits of
//   QueryLimitsPlugin, closed introspection) GRAPHQL_VALIDATION_FAILED;
// - refusals of the HTTP layer (405 mutation over GET, 406, 415, 400 unreadable body) get a code
//   named after their status (src/graphql/errorCodes.ts);
// - with `spendgate.hideSuggestions` (on whenever introspection is off, as in production) the
//   validation rules run with graphql-js' hideSuggestions, since suggestions would reveal field
//   names that a closed introspection hides.
import type { GraphQLError, ValidationContext, ValidationRule } from "postgraphile/graphql";
import { codeForStatus, GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED, withCode } from "../src/graphql/errorCodes.ts";

type ParseAndValidate = (query: string) => { errors?: readonly GraphQLError[]; document?: unknown };

function coded(parseAndValidate: ParseAndValidate): ParseAndValidate {
  const seen = new WeakMap<object, ReturnType<ParseAndValidate>>();
  return (query) => {
    const result = parseAndValidate(query);
    if (!result.errors) return result;
    // grafserv caches results by query: convert each cached result once.
    let converted = seen.get(result);
    if (!converted) {
      const code = result.errors.some((error) => error.message.startsWith("Syntax Error")) ? GRAPHQL_PARSE_FAILED : GRAPHQL_VALIDATION_FAILED;
      converted = { errors: result.errors.map((error) => withCode(error, code)) };
      seen.set(result, converted);
    }
    return converted;
  };
}

const withoutSuggestions = (rule: ValidationRule): ValidationRule => (context: ValidationContext) =>
  rule(Object.create(context, { hideSuggestions: { value: true } }) as ValidationContext);

/** `{"errors": [...]}` bodies of HTTP-level refusals, with a code added where one is missing. */
function addCodes(text: string, status: number): string | undefined {
  let body: { errors?: { extensions?: Record<string, unknown> }[] };
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(body.errors) || body.errors.every((error) => typeof error.extensions?.code === "string")) return undefined;
  for (const error of body.errors) {
    error.extensions = { ...error.extensions, code: (error.extensions?.code as string | undefined) ?? codeForStatus(status) };
  }
  return JSON.stringify(body);
}

const ErrorCodesPlugin: GraphileConfig.Plugin = {
  name: "ErrorCodesPlugin",
  version: "1.0.0",
  description: "extensions.code on parse, validation and HTTP-level errors; no suggestions when hidden",
  grafserv: {
    middleware: {
      setPreset(next, event) {
        if (event.resolvedPreset.spendgate?.hideSuggestions) event.validationRules = event.validationRules.map(withoutSuggestions);
        const getExecutionConfig = event.getExecutionConfig;
        const wrapped = new WeakMap<object, ParseAndValidate>();
        event.getExecutionConfig = async function (ctx) {
          const config = await getExecutionConfig.call(this, ctx);
          let parseAndValidate = wrapped.get(config.parseAndValidate);
          if (!parseAndValidate) {
            parseAndValidate = coded(config.parseAndValidate as ParseAndValidate);
            wrapped.set(config.parseAndValidate, parseAndValidate);
          }
          return { ...config, parseAndValidate: parseAndValidate as typeof config.parseAndValidate };
        };
        return next();
      },
      async processRequest(next) {
        const result = await next();
        if (!result || result.statusCode < 400) return result;
        if (result.type === "buffer" && /json/.test(result.headers["content-type"] ?? "")) {
          const text = addCodes(result.buffer.toString("utf8"), result.statusCode);
          if (text !== undefined) {
            result.buffer = Buffer.from(text, "utf8");
            result.headers["content-length"] = String(result.buffer.length);
          }
        } else if (result.type === "json") {
          const text = addCodes(JSON.stringify(result.json), result.statusCode);
          if (text !== undefined) result.json = JSON.parse(text);
        }
        return result;
      },
    },
  },
};

export default ErrorCodesPlugin;
