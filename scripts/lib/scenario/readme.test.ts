// Each overlay's README states how to run it and the claims its verdict checks. The claims are
// derived from the rendered overlay, so this keeps the README true when someone edits the overlay.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderKustomization } from '../kube/render.ts';
import { repoRoot } from '../versions.ts';
import { claimsFor } from '../../../loadtests/lib/claims.ts';
import { CATALOGUE } from './catalogue.ts';
import { deriveExpectations } from './expectations.ts';
import { formatClaim } from './run.ts';
import type { ScenarioName } from '../../../loadtests/lib/expectations.ts';

for (const name of Object.keys(CATALOGUE) as ScenarioName[]) {
  test(`overlays/${name}/README.md says how to run it and states every claim of its verdict`, async () => {
    const readme = readFileSync(path.join(repoRoot, 'overlays', name, 'README.md'), 'utf8');
    assert.match(readme, /^## Run it$/m);
    assert.ok(readme.includes(`npm run scenario:${name}`), 'names its npm script');
    const claims = claimsFor(deriveExpectations(name, await renderKustomization(path.join(repoRoot, 'overlays', name))));
    assert.ok(claims.length > 0);
    if (name === 'authz') {
      const allowed = claims.filter((c) => c.title.includes('allowed')).length;
      const denied = claims.filter((c) => c.title.includes('denied')).length;
      assert.ok(readme.includes(`${allowed} allowed edges answer 2xx and ${denied} denied edges`), `states ${allowed} allowed and ${denied} denied edges`);
      return;
    }
    for (const c of claims) assert.ok(readme.includes(`\`${c.id}\`: ${formatClaim(c)}`), `states the claim ${c.id}: ${formatClaim(c)}`);
  });
}
