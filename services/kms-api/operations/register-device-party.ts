// RegisterDeviceParty (a Tutti extension, `TrentService.RegisterDeviceParty`, KMS JSON 1.1 like the
// rest; docs/waas.md): the wallet backend registers the identity a device party made for itself
// (packages/party-client `DeviceParty.identity`), then names `PartyId` in CreateKey's
// `tutti:parties` tag. The answer carries what the device must pin: the gateway's key and the
// daemon parties' identities. Authorised like CreateKey (account principals).
import { defineOperation } from '../operation.ts';
import { unsupported } from '../errors.ts';

type RegisterDevicePartyRequest = { PartyId: string; SignPublic: string; KexPublic: string };

const hex32 = { type: 'string', pattern: '^[0-9a-f]{64}$' };
const schema = {
  type: 'object',
  required: ['PartyId', 'SignPublic', 'KexPublic'],
  additionalProperties: false,
  properties: { PartyId: { type: 'string', pattern: '^device-[a-z0-9][a-z0-9-]{0,54}$' }, SignPublic: hex32, KexPublic: hex32 },
};

export const registerDeviceParty = defineOperation<RegisterDevicePartyRequest>('RegisterDeviceParty', schema, async (input, { keys, caller }) => {
  if (!keys.registerDeviceParty) throw unsupported('RegisterDeviceParty is not supported by this service.');
  const r = await keys.registerDeviceParty({ partyId: input.PartyId, signPublic: input.SignPublic, kexPublic: input.KexPublic }, caller);
  return {
    PartyId: input.PartyId,
    Created: r.created,
    ...(r.coordinator ? { Coordinator: { CoordinatorId: r.coordinator.coordinatorId, SignPublic: r.coordinator.signPublic } } : {}),
    Parties: r.parties.map((p) => ({ PartyId: p.partyId, SignPublic: p.signPublic, KexPublic: p.kexPublic })),
  };
});
