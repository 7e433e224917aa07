// The transport layer: party identities, end-to-end envelope protection, connection
// authentication and the WebSocket links between the coordinator and the parties.
export * from './errors.ts';
export * from './identity.ts';
export * from './control.ts';
export * from './secure-envelope.ts';
export * from './auth.ts';
export { CoordinatorHub, PartyLink } from './channel.ts';
export type { CoordinatorHubOptions, PartyLinkOptions, LinkState, LinkStateDetail, LinkStats } from './channel.ts';
