import type { Actor, Artifact, BuildInputs, BuildMode, FailureClass, JobSubmitted, Reason } from '../events';

/** Every command carries the time it is decided at: deciders read no clock. */
interface At {
  at: string;
}

export type SubmitJob = At & { type: 'SubmitJob'; job: Omit<JobSubmitted['data'], 'submittedAt'> };
export type BlockJob = At & { type: 'BlockJob'; reason: Reason };
export type QueueJob = At & { type: 'QueueJob'; routingKey: string };
/** `mode`: how the builder means to build it, as it reported (absent from older builders). */
export type StartBuild = At & { type: 'StartBuild'; attempt: number; builder: string; mode?: BuildMode };
/** `inputs`: what the build was made from, as the builder reported (absent from older builders). */
export type SucceedBuild = At & { type: 'SucceedBuild'; attempt: number; builder: string; artifacts: Artifact[]; inputs?: BuildInputs };
export type FailBuild = At & {
  type: 'FailBuild';
  attempt: number;
  builder: string;
  failureClass: FailureClass;
  reason: Reason;
  artifacts: Artifact[];
};
export type ExpireLease = At & { type: 'ExpireLease'; attempt: number; builder: string };
export type CancelJob = At & { type: 'CancelJob'; by: Actor; reason: Reason };
export type ConfirmCancel = At & { type: 'ConfirmCancel'; attempt: number; builder: string };
export type RetryJob = At & { type: 'RetryJob'; by: Actor; automatic: boolean };
export type DeleteJob = At & { type: 'DeleteJob'; by: Actor };

export type JobCommand =
  | SubmitJob
  | BlockJob
  | QueueJob
  | StartBuild
  | SucceedBuild
  | FailBuild
  | ExpireLease
  | CancelJob
  | ConfirmCancel
  | RetryJob
  | DeleteJob;
