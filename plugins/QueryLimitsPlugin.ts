// QueryLimitsPlugin: rejects, before execution, documents that are too deep, use too many aliases
// or select too many fields (GRAPHQL_MAX_DEPTH / _MAX_ALIASES / _MAX_FIELDS), and closes schema
// introspection when GRAPHQL_INTROSPECTION is off (the default in production). Open-source
// PostGraphile 5 has no such limits; grafserv runs these validation rules for every HTTP request.
import {
  GraphQLError,
  Kind,
  NoSchemaIntrospectionCustomRule,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from "postgraphile/graphql";

import type { QueryLimits } from "../src/graphql/preset.ts";

interface Measure {
  depth: number;
  aliases: number;
  fields: number;
}

/** Depth, aliases and fields of a selection set, following fragment spreads (each once per path). */
function measure(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, visiting: Set<string>): Measure {
  const total: Measure = { depth: 0, aliases: 0, fields: 0 };
  for (const selection of set.selections) {
    let inner: Measure | undefined;
    if (selection.kind === Kind.FIELD) {
      // Introspection (__schema, __type, __typename) is governed by GRAPHQL_INTROSPECTION, not
      // by these limits: the standard introspection query that Ruru sends is 15 levels deep.
      if (selection.name.value.startsWith("__")) continue;
      total.fields++;
      if (selection.alias) total.aliases++;
      const child = selection.selectionSet ? measure(selection.selectionSet, fragments, visiting) : { depth: 0, aliases: 0, fields: 0 };
      inner = { ...child, depth: child.depth + 1 };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, fragments, visiting);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || visiting.has(fragment.name.value)) continue; // unknown or cyclic: other rules report it
      visiting.add(fragment.name.value);
      inner = measure(fragment.selectionSet, fragments, visiting);
      visiting.delete(fragment.name.value);
    }
    total.depth = Math.max(total.depth, inner.depth);
    total.aliases += inner.aliases;
    total.fields += inner.fields;
  }
  return total;
}

function queryLimitsRule(limits: QueryLimits) {
  return (context: ValidationContext): ASTVisitor => {
    const document = context.getDocument();
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of document.definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    return {
      OperationDefinition(operation) {
        const { depth, aliases, fields } = measure(operation.selectionSet, fragments, new Set());
        const name = operation.name ? ` ${operation.name.value}` : "";
        if (depth > limits.maxDepth) context.reportError(new GraphQLError(`operation${name} is ${depth} levels deep; the limit is ${limits.maxDepth}`, { nodes: [operation] }));
        if (aliases > limits.maxAliases) context.reportError(new GraphQLError(`operation${name} uses ${aliases} aliases; the limit is ${limits.maxAliases}`, { nodes: [operation] }));
        if (fields > limits.maxFields) context.reportError(new GraphQLError(`operation${name} selects ${fields} fields; the limit is ${limits.maxFields}`, { nodes: [operation] }));
      },
    };
  };
}

const QueryLimitsPlugin: GraphileConfig.Plugin = {
  name: "QueryLimitsPlugin",
  version: "1.0.0",
  description: "Query depth, alias and field limits; introspection switch",
  grafserv: {
    middleware: {
      setPreset(next, event) {
        const limits = event.resolvedPreset.spendgate?.queryLimits;
        if (limits) {
          event.validationRules.push(queryLimitsRule(limits));
          if (!limits.introspection) event.validationRules.push(NoSchemaIntrospectionCustomRule);
        }
        return next();
      },
    },
  },
};

export default QueryLimitsPlugin;
