import type { ObservedRequest, RequestEnd, RequestObserver, StageObservation } from '../observe/observer.js';

/** What a test observer saw of one request: its stages, its end, and how many times it ended (must be once). */
export interface Seen {
  request: ObservedRequest;
  stages: StageObservation[];
  end?: RequestEnd;
  ends: number;
}

export function recorder(): { observer: RequestObserver; seen: Seen[] } {
  const seen: Seen[] = [];
  return {
    seen,
    observer: {
      name: 'recorder',
      start(request) {
        const entry: Seen = { request, stages: [], ends: 0 };
        seen.push(entry);
        return {
          stage: (stage) => entry.stages.push(stage),
          end: (end) => {
            entry.end = end;
            entry.ends++;
          },
        };
      },
    },
  };
}
