// The data that flows through the relay. Types only: no behaviour, no I/O.

/** Platforms the relay speaks. `local` is the embedded, credential-free default. */
export const PLATFORMS = ['local', 'telegram', 'lark', 'wechat'] as const;
export type Platform = (typeof PLATFORMS)[number];

/** One group message, as every adapter's `normalize` produces it. */
export interface InboundMessage {
  platform: Platform;
  /** The platform's message id; with platform + chatId it identifies the message. */
  id: string;
  /** The group's address as the rules name it: Telegram chat id, Lark chat_id (oc_…), WeChat room topic, local group name. */
  chatId: string;
  chatTitle?: string;
  senderId: string;
  senderName: string;
  text: string;
  /** ISO-8601 time the platform says the message was sent. */
  sentAt: string;
}

/** A piece of evidence behind a decision: which term matched, how much it weighed, and where the rule came from. */
export interface Evidence {
  term: string;
  weight: number;
  /** e.g. 'major-name', 'class-name', 'alias', 'job-term', 'keyword', 'scam-term', 'chat-term'. */
  kind: string;
}

export interface ClassScore {
  /** 4-digit class code of the 2026 catalog, e.g. '0806'. */
  code: string;
  name: string;
  /** 0..1: how sure the classifier is that the post suits this class. */
  confidence: number;
  evidence: Evidence[];
}

/** Useful fields pulled out of a referral. Absent when not found. */
export interface PostFields {
  company?: string;
  roles: string[];
  city?: string;
  /** ISO date (YYYY-MM-DD) in the rules' timezone. */
  deadline?: string;
  links: string[];
  emails: string[];
  referralCode?: string;
  /** e.g. '2026届'. */
  cohort?: string;
  degrees: string[];
}

export interface Classification {
  isJob: boolean;
  /** Calibrated 0..1: how likely this is a job referral. */
  jobScore: number;
  isScam: boolean;
  scamScore: number;
  /** Terms that moved the detection score, both ways. */
  detection: Evidence[];
  /** The post says it is open to any major (不限专业). */
  openToAll: boolean;
  /** Confident classes only, most likely first. */
  classes: ClassScore[];
  /** College ids (from the rules) this post is routed to. */
  colleges: string[];
  fields: PostFields;
}

export interface PostSource {
  platform: Platform;
  chatId: string;
  messageId: string;
  senderId: string;
  senderName: string;
  sentAt: string;
}

/** Where a post is in its life. `review`: held for an admin (a suspected scam); `rejected`: an admin said no. */
export type PostStatus = 'active' | 'review' | 'rejected';

/** A stored referral: one per distinct text, however many groups it was posted in. */
export interface Post {
  id: string;
  text: string;
  /** Near-duplicate fingerprint of the normalised text (hex SimHash). */
  fingerprint: string;
  /** Every group it was seen in, first first. */
  sources: PostSource[];
  receivedAt: string;
  status: PostStatus;
  classification: Classification;
  /** College ids whose digest already carried this post, so it is never sent to them twice. */
  digestedFor: string[];
}

/** A chat address a digest goes to. */
export interface ChannelRef {
  platform: Platform;
  chat: string;
}

/** One rendered message, ready for one platform. */
export interface OutboundMessage {
  /** plain: WeChat/local text; html: Telegram HTML; lark-post: JSON of a Lark `post` content. */
  format: 'plain' | 'html' | 'lark-post';
  body: string;
}

export interface DigestItem {
  postId: string;
  n: number;
}

/** What one college gets at one scheduled time, before rendering. */
export interface Digest {
  id: string;
  collegeId: string;
  collegeName: string;
  createdAt: string;
  items: { post: Post; why?: string }[];
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** One (digest, channel) send in the outbox. `parts` are sent in order; `sentParts` counts how many went out. */
export interface Delivery {
  id: string;
  digestId: string;
  collegeId: string;
  channel: ChannelRef;
  parts: OutboundMessage[];
  sentParts: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string;
  lastError?: string;
  createdAt: string;
  deliveredAt?: string;
}
