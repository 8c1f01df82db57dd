/**
 * Turning schema validation failures into one clear message naming the field,
 * and rejecting unknown fields whatever the host's Ajv options (Fastify's
 * default Ajv silently drops them, so a typo such as `nInits` would be ignored).
 */

/** One Ajv error, as Fastify hands them over in `error.validation`. */
export interface AjvErrorLike {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The problem, with the field in dotted form (`inputs.data.path`). */
export interface FieldProblem {
  field: string;
  message: string;
}

const dotted = (instancePath: string, prefix: string): string =>
  [prefix, ...instancePath.split('/').filter((p) => p.length > 0).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))].filter(Boolean).join('.');

/**
 * The most specific of Ajv's errors as `{field, message}`: the deepest path
 * wins, and `oneOf`/`anyOf` summaries lose to the errors of their branches.
 */
export function describeValidationErrors(errors: readonly AjvErrorLike[], prefix = ''): FieldProblem {
  const ranked = [...errors].sort((a, b) => {
    const depth = (e: AjvErrorLike): number => e.instancePath.split('/').length + (e.keyword === 'oneOf' || e.keyword === 'anyOf' ? -0.5 : 0);
    return depth(b) - depth(a);
  });
  const e = ranked[0];
  if (!e) return { field: prefix || 'body', message: `${prefix || 'body'} is invalid` };
  let field = dotted(e.instancePath, prefix);
  let message: string;
  if (e.keyword === 'required') {
    field = [field, String(e.params['missingProperty'])].filter(Boolean).join('.');
    message = `${field} is required`;
  } else if (e.keyword === 'additionalProperties') {
    field = [field, String(e.params['additionalProperty'])].filter(Boolean).join('.');
    message = `${field} is not a known field`;
  } else if (e.keyword === 'enum') {
    message = `${field || 'body'} must be one of ${(e.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  } else {
    message = `${field || 'body'} ${e.message ?? 'is invalid'}`;
  }
  return { field: field || 'body', message };
}

type Schema = Record<string, unknown>;

/**
 * The first field of `value` that `schema` does not allow (an object schema
 * with `additionalProperties: false`), following `properties`, array `items`
 * and the `oneOf`/`anyOf` branch whose required fields are present. Null when
 * every field is known.
 */
export function findUnknownField(value: unknown, schema: Schema | undefined, path: string): FieldProblem | null {
  if (!schema || value === null || typeof value !== 'object') return null;
  const branches = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
  if (branches) {
    const objectBranches = branches.filter((b) => b['type'] === 'object');
    if (Array.isArray(value) || objectBranches.length === 0) {
      const arrayBranch = branches.find((b) => b['type'] === 'array');
      return Array.isArray(value) && arrayBranch ? findUnknownField(value, arrayBranch, path) : null;
    }
    const keys = Object.keys(value);
    const branch =
      objectBranches.find((b) => ((b['required'] as string[] | undefined) ?? []).every((r) => keys.includes(r))) ??
      (objectBranches.length === 1 ? objectBranches[0] : undefined);
    return branch ? findUnknownField(value, branch, path) : null;
  }
  if (Array.isArray(value)) {
    const items = schema['items'] as Schema | undefined;
    for (let i = 0; i < value.length; i++) {
      const found = findUnknownField(value[i], items, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const field = path ? `${path}.${key}` : key;
    if (!(key in properties)) {
      if (schema['additionalProperties'] === false) return { field, message: `${field} is not a known field; known: ${Object.keys(properties).join(', ')}` };
      continue;
    }
    const found = findUnknownField(child, properties[key], field);
    if (found) return found;
  }
  return null;
}
