// The build stage of the Dockerfile runs this: `node --import tsx bundle-entry.ts <service> <outDir>`.
// It is not an npm script; it exists so the image bundles with exactly bundleService's options.
import { bundleService } from './bundle.ts';

const [service, outDir] = process.argv.slice(2);
if (!service || !outDir) {
  process.stderr.write('usage: bundle-entry.ts <service> <outDir>\n');
  process.exit(2);
}
const { outFile, bytes } = await bundleService(service, outDir);
process.stdout.write(`bundled ${service} into ${outFile} (${(bytes / 1024).toFixed(0)} KiB)\n`);
