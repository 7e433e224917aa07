// @tutti/party-client: the embedded party (docs/waas.md). This entry works in Node ≥ 20 and in a
// browser bundle; `fileStorage` (node.ts) is for Node and `indexedDbStorage` for browsers.
export { DeviceParty, DevicePartyError, type ConnectOptions, type OpenOptions, type Registration, type CoordinatorPin } from './device-party.ts';
export { memoryStorage, VaultError, type VaultKey, type VaultStorage } from './vault.ts';
export { indexedDbStorage } from './indexeddb-storage.ts';
export type { LinkState, WebSocketConstructor, WebSocketLike } from './device-link.ts';
export { registrationFromKms } from './registration.ts';
