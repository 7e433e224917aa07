// RegisterDeviceParty answers in the KMS JSON style (PascalCase); DeviceParty takes camelCase.
import type { Registration } from './device-party.ts';

type KmsRegistration = {
  Coordinator?: { CoordinatorId: string; SignPublic: string };
  Parties?: Array<{ PartyId: string; SignPublic: string; KexPublic: string }>;
};

/** Converts RegisterDeviceParty's response (as the backend relays it) to a Registration. */
export function registrationFromKms(r: KmsRegistration): Registration {
  if (!r.Coordinator) throw new Error('RegisterDeviceParty returned no Coordinator: the gateway has no key of its own to pin');
  return {
    coordinator: { coordinatorId: r.Coordinator.CoordinatorId, signPublic: r.Coordinator.SignPublic },
    parties: (r.Parties ?? []).map((p) => ({ partyId: p.PartyId, signPublic: p.SignPublic, kexPublic: p.KexPublic })),
  };
}
