// Pure: what one stored post adds to the console's aggregates. Kept apart so the aggregate can add and
// subtract the same record when a post changes (approved, digested, reposted) without rescanning.
import type { Post } from '../domain.ts';
import { localDate } from '../time.ts';

export type Kind = 'referral' | 'scam' | 'none';

export interface Contribution {
  /** Local date (rules' timezone) the post was received. */
  day: string;
  kind: Kind;
  /** College ids it was routed to. */
  colleges: string[];
  /** College ids whose digest already carried it. */
  digestedFor: string[];
  openToAll: boolean;
  classes: string[];
  company?: string;
  city?: string;
  cohort?: string;
  degrees: string[];
  deadline?: string;
}

const kindOf = (p: Post): Kind => (p.status === 'active' ? 'referral' : p.status === 'review' ? 'scam' : 'none');

export function contributionOf(p: Post, timeZone: string): Contribution {
  const c = p.classification;
  const f = c.fields;
  return {
    day: localDate(new Date(p.receivedAt), timeZone),
    kind: kindOf(p),
    colleges: [...c.colleges],
    digestedFor: [...p.digestedFor],
    openToAll: c.openToAll,
    classes: c.classes.map((k) => `${k.code} ${k.name}`),
    company: f.company?.trim() || undefined,
    city: f.city?.trim() || undefined,
    cohort: f.cohort?.trim() || undefined,
    degrees: [...new Set(f.degrees)],
    deadline: f.deadline,
  };
}

/** A cheap fingerprint of the parts of a post that can change after it is stored. */
export const stampOf = (p: Post): string => `${p.status}|${p.digestedFor.join(',')}|${p.sources.length}`;
