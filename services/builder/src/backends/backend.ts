import type { StepContext } from '../step';

/** Turns the source tree at `ctx.srcDir` into packages; returns their paths. */
export interface Backend {
  name: string;
  build(ctx: StepContext): Promise<string[]>;
}
