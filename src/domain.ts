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
  /** The message's text; '' for a picture without a caption (then `media` is set). */
  text: string;
  /** ISO-8601 time the platform says the message was sent. */
  sentAt: string;
  /** 'group' when absent; 'private' for a person writing to the bot directly (subscriptions, mentors). */
  chatType?: 'group' | 'private';
  /** Pictures that came with the message; the core fetches them through the adapter's `fetchMedia(ref)`. */
  media?: InboundMedia[];
  /** A shared article or link preview: what the platform tells about it (its text is also in `text`). */
  linkCard?: { title?: string; description?: string; url?: string };
  /** The platform id of the message this one replies to (a student answering a digest). */
  replyToId?: string;
  /** The message @-mentions the bot (a Telegram mention entity, a Lark mention of the bot, wechaty's mentionSelf). */
  mentionsBot?: boolean;
  /** How others reach the sender on the platform (Telegram @username); absent where only the display name exists. */
  senderHandle?: string;
}

/** A picture attached to an inbound message. `ref` is opaque to the core: the adapter's handle for fetchMedia. */
export interface InboundMedia {
  kind: 'image';
  ref: string;
  /** What the platform says, before anything is downloaded: used to refuse early. */
  mime?: string;
  bytes?: number;
  width?: number;
  height?: number;
}

/**
 * A button pressed under a message the relay sent (Telegram callback_query, Lark card.action.trigger).
 * `data` is what the core put in the button; the handler's answer is shown to the presser as a toast.
 */
export interface InboundAction {
  platform: Platform;
  /** Where the button's message is (the chat as the rules name it). */
  chatId: string;
  /** The platform's id of the person who pressed (the core hashes it; never shown). */
  userId: string;
  data: string;
  /** The platform id of the message carrying the button. */
  messageId?: string;
  /** ISO-8601. */
  at: string;
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
  /** Set when the text was read from pictures (OCR of a poster): the pictures, kept under `<dataDir>/media/`. */
  media?: PostImage[];
}

/** A picture a post came with, kept in the data directory so a digest can carry it (platform refs expire). */
export interface PostImage {
  /** File name under `<dataDir>/media/` (a name, not a path: the data directory can move). */
  file: string;
  mime: string;
  bytes: number;
  width?: number;
  height?: number;
}

/** A chat address a digest goes to. */
export interface ChannelRef {
  platform: Platform;
  chat: string;
}

/** One rendered message, ready for one platform. */
export interface OutboundMessage {
  /** plain: WeChat/local text; html: Telegram HTML; lark-post: JSON of a Lark `post` content; lark-card: JSON of a Lark interactive card. */
  format: 'plain' | 'html' | 'lark-post' | 'lark-card';
  body: string;
  /**
   * Buttons under the message, in rows (Telegram inline keyboard; Lark renders its own card buttons from
   * the card body). `data` ≤ 64 bytes (Telegram's callback_data limit). Platforms without buttons ignore them.
   */
  buttons?: { text: string; data: string }[][];
  /** Pictures sent with the message (Telegram sendPhoto / media group, Lark image upload, WeChat FileBox). */
  images?: OutboundImage[];
}

/** A picture kept in the data directory (deliveries are stored as JSON, so they carry a path, not bytes). */
export interface OutboundImage {
  /** Absolute path of the image file. */
  file: string;
  mime: string;
  caption?: string;
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
  /** Thread part 0 under this message (an alumni acknowledgement answering the referral). */
  replyTo?: { messageId: string; senderId?: string; senderName?: string };
  /** A person's private chat, for platforms whose address cannot tell (WeChat contact name vs room topic). */
  direct?: boolean;
}
