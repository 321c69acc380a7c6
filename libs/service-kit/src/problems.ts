import { DomainError, type DomainErrorKind } from '@tsbit/domain';

/**
 * An error on a request path that carries its HTTP status. One error handler turns every one of
 * them into an RFC 9457 problem+json response.
 */
export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly field?: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
  }
}

export const badRequest = (detail: string, field?: string) => new HttpProblem(400, 'Bad Request', detail, field);
export const unauthorized = (detail: string) => new HttpProblem(401, 'Unauthorized', detail);
export const forbidden = (detail: string) => new HttpProblem(403, 'Forbidden', detail);
export const notFound = (detail: string) => new HttpProblem(404, 'Not Found', detail);
export const conflict = (detail: string, field?: string) => new HttpProblem(409, 'Conflict', detail, field);
export const preconditionFailed = (detail: string) => new HttpProblem(412, 'Precondition Failed', detail);
export const unprocessable = (detail: string, field?: string) => new HttpProblem(422, 'Unprocessable Content', detail, field);

const statusOfDomainError: Record<DomainErrorKind, number> = {
  validation: 400,
  unprocessable: 422,
  not_found: 404,
  conflict: 409,
  forbidden: 403,
};

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
};

export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  field?: string;
  [extension: string]: unknown;
}

interface FastifyValidationIssue {
  instancePath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/** Maps any error thrown on a request path to a problem document; 5xx details never leak internals. */
export function toProblem(error: unknown, instance?: string): ProblemDocument {
  const base = (status: number, detail: string, field?: string, extensions: Record<string, unknown> = {}): ProblemDocument => ({
    type: 'about:blank',
    title: titles[status] ?? 'Error',
    status,
    detail,
    ...(instance === undefined ? {} : { instance }),
    ...(field === undefined ? {} : { field }),
    ...extensions,
  });
  if (error instanceof HttpProblem) return base(error.status, error.detail, error.field, error.extensions);
  if (error instanceof DomainError) return base(statusOfDomainError[error.kind], error.message, error.field);
  if (error instanceof Error && error.name === 'WrongExpectedVersion') {
    return base(412, 'the resource changed meanwhile; read it again and retry');
  }
  const withStatus = error as { statusCode?: number; validation?: FastifyValidationIssue[]; validationContext?: string; message?: string };
  if (withStatus.validation && withStatus.validation.length > 0) {
    const issue = withStatus.validation[0] as FastifyValidationIssue;
    const field = fieldOf(issue);
    return base(400, `${field ?? withStatus.validationContext ?? 'request'}: ${issue.message ?? 'is invalid'}`, field);
  }
  if (withStatus.statusCode !== undefined && withStatus.statusCode >= 400 && withStatus.statusCode < 500) {
    return base(withStatus.statusCode, withStatus.message ?? 'bad request');
  }
  return base(500, 'internal error; the request id in the logs tells what happened');
}

function fieldOf(issue: FastifyValidationIssue): string | undefined {
  const path = (issue.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const missing = issue.params?.missingProperty ?? issue.params?.additionalProperty;
  if (typeof missing === 'string') return path ? `${path}.${missing}` : missing;
  return path || undefined;
}
