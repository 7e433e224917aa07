// The WebSocket links between the coordinator and the parties. Each party dials out to the
// coordinator (CoordinatorHub, server side) with a PartyLink (client side), authenticates with its
// identity key on every connect (auth.ts), then both sides exchange ControlMessages (control.ts).
//
// The links carry no secrets of their own: envelopes inside ControlMessages are signed or sealed
// end to end (secure-envelope.ts). What the link adds is routing by authenticated party id,
// liveness (pings, so a dead peer is noticed within a few seconds) and reconnection.
//
// The hub is coordinator-hub.ts, the link party-link.ts, what they share link-frames.ts; this file
// keeps the one import path the rest of the code uses.
export { MAX_CONTROL_FRAME_BYTES, type ControlMessage } from './control.ts';
export { type LinkStats } from './link-frames.ts';
export * from './coordinator-hub.ts';
export * from './party-link.ts';
