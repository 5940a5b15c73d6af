import { causesOf } from '../causes';

/** A card per cause the store's error names, with what to do, and the raw message folded underneath. */
export function CauseCards({ lastError }: { lastError: string }) {
  const causes = causesOf(lastError);
  return (
    <div className="causes">
      {causes.map((cause) => (
        <article key={cause.kind} className="cause" data-cause={cause.kind} aria-labelledby={`cause-${cause.kind}`}>
          <h2 id={`cause-${cause.kind}`}><span aria-hidden="true">⚠</span> {cause.title}</h2>
          {cause.detail && <p><strong>{cause.detail}</strong></p>}
          <p>{cause.explanation}</p>
          <p><strong>What to do:</strong> {cause.action}</p>
        </article>
      ))}
      <details>
        <summary>Full error message</summary>
        <pre className="raw">{lastError}</pre>
      </details>
    </div>
  );
}
