// The gateway's tutti_presign_stock gauge reads the presignature stock when scraped (the bench's
// warm-stock row waits on it: scripts/bench/e2e.ts signLatencyWarm).
import { createMetrics } from '../../../services/metrics/metrics.ts';
import { PresignStock } from '../../../services/coordinator/presign-stock.ts';
import type { PresignatureRecord } from '../../../protocols/dkls23/presign.ts';

test('tutti_presign_stock follows the stock at every scrape', async () => {
  const metrics = createMetrics('gateway');
  const stock = new PresignStock(4);
  metrics.watchPresignStock(() => stock.size);
  const scrape = async () => /^tutti_presign_stock\{component="gateway"\} (\d+)$/m.exec(await metrics.registry.metrics())?.[1];
  expect(await scrape()).toBe('0');
  for (let i = 0; i < 6; i++) stock.add('key-1', '1:party-1,2:party-2', { id: `p${i}` } as unknown as PresignatureRecord);
  expect(await scrape()).toBe('4'); // bounded by the target
  stock.take('key-1', '1:party-1,2:party-2');
  expect(await scrape()).toBe('3');
});
