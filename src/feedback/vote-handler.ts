// Button presses (Telegram callback_query, Lark card.action.trigger) as votes on digest items. The adapter shows
// the returned text to the presser; undefined lets it answer with its neutral toast. Never throws.
import type { InboundAction, Platform } from '../domain.ts';
import type { Logger } from '../log.ts';
import type { ActionHandler } from '../ports.ts';
import type { Rules } from '../rules/index.ts';
import { parseVoteData } from './items.ts';
import type { FeedbackService } from './service.ts';

export interface VoteHandlerDeps {
  /** undefined: feedback is off (no RELAY_SECRET). */
  feedback: Pick<FeedbackService, 'vote'> | undefined;
  rules: () => Rules;
  /** The platforms the pressing adapter serves (the local adapter stands in for all of them). */
  served: readonly Platform[];
  logger: Logger;
}

export function voteHandler(deps: VoteHandlerDeps): ActionHandler {
  return async (a: InboundAction) => {
    if (!deps.feedback) return undefined;
    const vote = parseVoteData(a.data);
    if (!vote) return undefined; // not ours
    // The channel's platform is the one of the college channel with that chat among the platforms served.
    const channels = deps.rules().colleges.flatMap((c) => c.channels).filter((ch) => ch.chat === a.chatId && deps.served.includes(ch.platform));
    const platform = channels.some((ch) => ch.platform === a.platform) ? a.platform : (channels[0]?.platform ?? a.platform);
    const answer = deps.feedback.vote({ platform, chatId: a.chatId, userId: a.userId, items: [vote.n], value: vote.value, digestKey: vote.digestKey });
    deps.logger.info({ platform, chat: a.chatId, outcome: answer.outcomes[0] }, 'vote');
    return answer.text;
  };
}
