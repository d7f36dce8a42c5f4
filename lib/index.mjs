import threadmap from './index.js';

export const {
  DashMap, LockMap, LruLockMap, LockFreeMap, HopscotchMap, Entry, BatchEntry, liveMaps, heldLocks, codes,
} = threadmap;
export default threadmap;
