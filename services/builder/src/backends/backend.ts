import type { BackendInputs } from '../inputs';
import type { StepContext } from '../step';

/** What a back end made, and how: the packages' paths and its part of the build's inputs. */
export interface BackendResult {
  files: string[];
  inputs: BackendInputs;
}

/** Turns the source at `ctx.srcDir` (and, for dsc and apt, the .dsc in `ctx.jobDir`) into packages. */
export interface Backend {
  name: string;
  build(ctx: StepContext): Promise<BackendResult>;
}
