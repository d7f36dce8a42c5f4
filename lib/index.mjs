import threadmap from './index.js';

export const { DashMap, liveMaps, codes } = threadmap;
export default threadmap;
