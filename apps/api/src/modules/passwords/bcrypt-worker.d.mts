/** The worker module has no exports: it answers on its port (bcrypt-protocol.ts). */
export {};
