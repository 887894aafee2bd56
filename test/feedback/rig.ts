// A small relay view for the feedback tests: real rules (parsed YAML), the real classifier, posts,
// digests and deliveries in memory as the store would hold them.
import { classifierFor } from '../../src/app.ts';
import { loadCatalog } from '../../src/catalog.ts';
import type { Delivery, Post } from '../../src/domain.ts';
import type { RelayView } from '../../src/feedback/service.ts';
import { parseRules } from '../../src/rules/index.ts';
import type { DigestRecord } from '../../src/store/hot-state.ts';

export const RULES_YAML = `version: 1
defaults:
  timezone: Asia/Shanghai
sources:
  - platform: wechat
    group: 校友群
colleges:
  - id: electrical
    name: 电气学院
    classes: ["0806"]
    channels:
      - platform: wechat
        chat: 电气学生群
      - platform: telegram
        chat: "-100111"
  - id: automation
    name: 自动化系
    classes: ["0808"]
    channels:
      - platform: lark
        chat: oc_auto
`;

export const catalog = loadCatalog();
export const rules = parseRules(RULES_YAML, 'routing.yaml', catalog);
export const classifier = classifierFor(rules, catalog);
export const NOW = new Date('2026-11-21T12:00:00+08:00');

export class View implements RelayView {
  readonly postMap = new Map<string, Post>();
  digestList: DigestRecord[] = [];
  deliveryList: Delivery[] = [];

  postById(id: string) {
    return this.postMap.get(id);
  }
  posts() {
    return this.postMap.values();
  }
  digests() {
    return this.digestList;
  }
  deliveries() {
    return this.deliveryList;
  }
  rules() {
    return rules;
  }

  /** Classifies and stores a post as the pipeline would. */
  add(id: string, text: string, at = NOW): Post {
    const classification = classifier.classify(text, at);
    const p: Post = {
      id,
      text,
      fingerprint: '0',
      sources: [{ platform: 'wechat', chatId: '校友群', messageId: id, senderId: 'alum1', senderName: '王磊', sentAt: at.toISOString() }],
      receivedAt: at.toISOString(),
      status: 'active',
      classification,
      digestedFor: [],
    };
    this.postMap.set(id, p);
    return p;
  }

  /** A digest of `postIds` for a college, delivered to each of its channels. */
  digest(id: string, collegeId: string, postIds: string[], at = NOW): DigestRecord {
    const d: DigestRecord = { id, collegeId, createdAt: at.toISOString(), postIds };
    this.digestList.push(d);
    const channels = rules.colleges.find((c) => c.id === collegeId)!.channels;
    for (const [i, ch] of channels.entries()) {
      this.deliveryList.push({
          id: `${id}-${i}`,
          digestId: id,
          collegeId,
          channel: { platform: ch.platform, chat: ch.chat },
          parts: [],
          sentParts: 1,
          status: 'delivered',
          attempts: 1,
          nextAttemptAt: at.toISOString(),
          createdAt: at.toISOString(),
          deliveredAt: at.toISOString(),
        });
    }
    return d;
  }
}
