// The load harness: targets (a local cluster or external AtomicBroadcast
// endpoints), envelopes signed ahead by signing processes, open/closed-loop rate
// control, latency and resource measurement, faults, reports and gates.

export { BenchConfigError, BenchTargetError } from './errors.js';
export {
  parseSchedule,
  readScheduleFile,
  plannedEnvelopes,
  scheduleDurationS,
  findMaxPhase,
  findMaxRates,
  parseStepBound,
  type Schedule,
  type Phase,
  type Fault,
  type FindMaxPhase,
} from './schedule.js';
export { judgeStep, KEEP_UP, type FindMaxResult, type StepResult } from './findMax.js';
export { EnvelopeSupply, type SupplyStats } from './envelopeSupply.js';
export { externalTarget, checkReachable, type BenchTarget, type Endpoint, type ObservedNode, type TargetRole, type ExternalTargetOptions } from './targets.js';
export { h2SessionSource, type H2SessionSource } from './h2Session.js';
export { deliverStream, DeliverStreamError, type DeliverStreamSpec } from './deliverStream.js';
export { loadCreator, type SignerSpec } from './signing.js';
export type { ProcessCluster } from './faults.js';
export { startStubOrderer, type StubOrderer, type StubOptions } from './stubOrderer.js';
export { runBench, type RunOptions, type RunResult, type ChannelResult } from './runner.js';
export { openLoopTickMs } from './driver.js';
export type { SecondSample } from './sampler.js';
export { buildReport, describeMachine, type BenchReport, type BenchConfig } from './report.js';
export { writeReport } from './writeReport.js';
export { renderMarkdown } from './markdown.js';
export { renderHtml } from './html.js';
export { parseThreshold, evaluateThresholds, type Threshold } from './thresholds.js';
export { compareReports, formatComparison, readReport } from './compare.js';
export { progressLine } from './progress.js';
export { readMainThread, readProc } from './procStat.js';
