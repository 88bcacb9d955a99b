import type { ServedBy } from '../served.ts';

/** One badge per upstream answer: service, version and pod. A missing version means no service answered. */
export function Badges({ served }: { served: readonly ServedBy[] }) {
  if (served.length === 0) return null;
  return (
    <ul class="badges" aria-label="Which services answered">
      {served.map((s) => (
        <li class={`badge ${s.version || 'none'}`} data-service={s.service} data-version={s.version} data-pod={s.pod} title={`${s.service} ${s.version || 'no version'} on ${s.pod || 'unknown pod'}`}>
          {s.service} <span class="version">{s.version || 'no answer'}</span>
          {s.pod ? ` · ${s.pod}` : ''}
        </li>
      ))}
    </ul>
  );
}
