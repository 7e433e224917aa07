// A cursor over one authenticated payload, for strict decoders (protocols/frost/codec.ts,
// protocols/dkls23/codec.ts add their group's points and scalars). Reading past the end is
// 'malformed' (truncated), and so are leftovers (oversized): every payload has one exact length
// (ToB TOB-SILA-1/2/3). The culprits are the sender's, since envelopes are authenticated.
import { ProtocolError } from './errors.ts';

export class ByteReader {
  private off = 0;
  constructor(
    private readonly bytes: Uint8Array,
    protected readonly what: string,
    protected readonly culprits: number[],
  ) {}

  protected fail(why: string): never {
    throw new ProtocolError('malformed', `${this.what}: ${why}`, this.culprits);
  }

  bytesN(n: number): Uint8Array {
    if (this.off + n > this.bytes.length) this.fail(`truncated (${this.bytes.length} bytes)`);
    // A copy: decoded values outlive the envelope, whose buffer the caller may reuse.
    const out = this.bytes.slice(this.off, this.off + n);
    this.off += n;
    return out;
  }

  u8(): number {
    return this.bytesN(1)[0]!;
  }

  end(): void {
    if (this.off !== this.bytes.length) this.fail(`oversized (${this.bytes.length - this.off} trailing bytes)`);
  }
}
