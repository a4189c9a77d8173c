// The hash slot Redis Cluster gives a key (the package ioredis itself uses), typed.
declare module 'cluster-key-slot' {
  export default function calculateSlot(key: string | Buffer): number;
}
