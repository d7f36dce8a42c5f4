import threadmap from './index.js';

export const {
  DashMap, DashSet, LockMap, LruLockMap, LockFreeMap, HopscotchMap, Entry, BatchEntry, liveMaps, heldLocks, namedMaps, dropName, codes,
} = threadmap;
export default threadmap;
