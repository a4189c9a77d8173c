// The hash slot Redis Cluster gives a key (the package ioredis itself uses), typed. tsconfig.base.json
// lists this file, so every compilation has it: the typecheck, and each library's own build that
// reaches libs/redis (cart-cache's tsc).
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
