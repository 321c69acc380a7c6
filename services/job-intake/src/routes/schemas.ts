/** Shared pieces of the route schemas, which are the API's contract and its OpenAPI document. */
export const problem = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, field: { type: 'string' }, instance: { type: 'string' } },
} as const;

export const problems = { 400: problem, 401: problem, 403: problem, 404: problem, 409: problem, 412: problem, 422: problem } as const;

export const reasonSchema = {
  type: ['object', 'null'],
  properties: { code: { type: 'string' }, message: { type: 'string' }, jobIds: { type: 'array', items: { type: 'integer' } } },
} as const;

export const jobSummarySchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    id: { type: 'integer' },
    package: { type: 'string' },
    version: { type: 'string' },
    suite: { type: 'string' },
    dist: { type: 'string' },
    arch: { type: 'string' },
    format: { type: 'string' },
    env: { type: 'string' },
    source: { type: 'object', properties: { method: { type: 'string' }, url: { type: 'string' }, ref: { type: 'string' } } },
    priority: { type: 'integer' },
    project: { type: 'string' },
    dependsOn: { type: 'array', items: { type: 'integer' } },
    buildArchIndep: { type: 'boolean' },
    status: { type: 'string', enum: ['Waiting', 'Blocked', 'Building', 'Cancelling', 'Done', 'Failed', 'Cancelled', 'Uploaded'] },
    reason: reasonSchema,
    attempt: { type: 'integer' },
    builder: { type: ['string', 'null'] },
    submittedBy: { type: 'string' },
    submittedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } } as const;
export const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 128 } } } as const;
