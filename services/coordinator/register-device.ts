// RegisterDeviceParty (Tutti extension, docs/waas.md): the wallet backend registers a device
// party's identity (its Ed25519 signing key and X25519 key-exchange key, made on the device by the
// embedded party library) so that CreateKey can name it in `tutti:parties`. Account principals only,
// like CreateKey: whoever may create keys may add a device to the parties a key can have.
import { KmsError, unsupported, validation } from '../kms-api/errors.ts';
import type { Caller } from '../kms-api/key-service.ts';
import type { PublicIdentity } from '../transport/identity.ts';
import type { CoordinatorContext } from './context.ts';
import { DevicePartyConflict, type DeviceRegistration } from './device-parties.ts';

export function registerDeviceParty({ o, access }: CoordinatorContext, identity: PublicIdentity, caller: Caller): DeviceRegistration {
  access.requireAccountPrincipal(caller, 'CreateKey');
  if (!o.devices) throw unsupported('This gateway does not accept device parties.');
  if (o.parties.includes(identity.partyId)) throw new KmsError('AlreadyExistsException', `${identity.partyId} is a configured party, not a device.`);
  try {
    const { created } = o.devices.register(identity);
    return { created, coordinator: o.coordinatorPin, parties: o.identities ?? [] };
  } catch (e) {
    if (e instanceof DevicePartyConflict) throw new KmsError('AlreadyExistsException', e.message);
    throw validation((e as Error).message);
  }
}
