// The relay as feedback sees it, read straight from a Store: one definition for the relay, the console and the CLI.
import type { Rules } from '../rules/index.ts';
import type { Store } from '../store/store.ts';
import type { RelayView } from './service.ts';

export function storeView(store: Pick<Store, 'postById' | 'posts' | 'digests' | 'deliveries'>, rules: () => Rules): RelayView {
  return {
    postById: (id) => store.postById(id),
    posts: () => store.posts(),
    // digests(), never store.data: that copies every hot post and delivery on each read.
    digests: () => store.digests(),
    deliveries: () => store.deliveries(),
    rules,
  };
}
