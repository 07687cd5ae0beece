/**
 * Trace a packet through the imported nodes' real routes and rules: source and destination
 * (typed, or picked from the pods, Services and node addresses the import inferred),
 * protocol and port. With "all outcomes", every backend kube-proxy's random rules can pick
 * is listed with its probability; each plays in the explainer (graph, inspectors, playback).
 * A long list shows what the choice did where it was made and traces an outcome when played.
 */
import { useMemo, useState } from 'react'
import type { FormEvent } from 'react'
import type { ImportResult } from '../../engine/import/types.ts'
import type { World } from '../../engine/model/types.ts'
import type { SendSpec } from '../../engine/sim/trace.ts'
import { IMPORT_TRACE_ID } from './catalog.ts'
import { openInExplainer } from './openInExplainer.ts'
import { describeChoice, describeOutcome, destinationOptions, listOutcomes, matchedAtHook, matchedRules, outcomeScenario, percent, sendFromForm, sourceOptions } from './traceImport.ts'
import type { ListedOutcome, OutcomeList, PickOption, Proto, TraceForm } from './traceImport.ts'

interface Traced {
  readonly form: TraceForm
  readonly send: SendSpec
  readonly explain: string
  readonly list: OutcomeList
}

export function TracePanel({ result, world, onOpened }: { readonly result: ImportResult; readonly world: World; readonly onOpened: () => void }) {
  const sources = useMemo(() => sourceOptions(result, world), [result, world])
  const destinations = useMemo(() => destinationOptions(result), [result])
  const firstService = destinations.find((d) => d.group.startsWith('Services'))
  const [form, setForm] = useState<TraceForm>(() => ({
    from: sources[0]?.value ?? '',
    to: firstService?.value ?? destinations[0]?.value ?? '',
    proto: firstService?.proto ?? 'tcp',
    port: firstService?.port !== undefined ? String(firstService.port) : '',
    allOutcomes: true,
  }))
  const [traced, setTraced] = useState<Traced | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [opening, setOpening] = useState(false)

  const submit = (e: FormEvent) => {
    e.preventDefault()
    const r = sendFromForm(world, form)
    if ('error' in r) {
      setError(r.error)
      setTraced(null)
      return
    }
    try {
      setTraced({ form, send: r.send, explain: r.explain, list: listOutcomes(world, r.send, form.allOutcomes) })
      setError(null)
    } catch (err) {
      setError(`The trace stopped with an error: ${err instanceof Error ? err.message : String(err)}`)
      setTraced(null)
    }
  }

  const play = async (o: ListedOutcome) => {
    if (!traced) return
    setOpening(true)
    const scenario = outcomeScenario(world, result, traced.send, traced.list.trace(o), traced.list.outcomes.length, traced.explain)
    const ok = await openInExplainer(scenario, { id: IMPORT_TRACE_ID, title: scenario.title, summary: scenario.summary, form: traced.form, outcome: o.index })
    setOpening(false)
    if (ok) onOpened()
  }

  const pickDestination = (value: string) => {
    const o = destinations.find((d) => optionKey(d) === value)
    if (!o) return
    setForm({ ...form, to: o.value, ...(o.proto && { proto: o.proto }), port: o.port !== undefined ? String(o.port) : form.port })
  }

  return (
    <section className="pwi-trace" aria-labelledby="pwi-trace-title" data-testid="import-trace">
      <h2 id="pwi-trace-title" className="pwi-h2">
        Trace a packet through these rules
      </h2>
      <form onSubmit={submit} className="pwi-form">
        <div className="pwi-field">
          <label htmlFor="pwi-from">From</label>
          <input id="pwi-from" data-testid="trace-from" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} spellCheck={false} placeholder="10.244.1.2, a node, ns/pod" />
          <Picker label="Pick a source" options={sources} onPick={(v) => setForm({ ...form, from: sources.find((s) => optionKey(s) === v)?.value ?? form.from })} testid="trace-from-pick" />
        </div>
        <div className="pwi-field">
          <label htmlFor="pwi-to">To</label>
          <input id="pwi-to" data-testid="trace-to" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} spellCheck={false} placeholder="10.96.0.10, ns/service" />
          <Picker label="Pick a destination" options={destinations} onPick={pickDestination} testid="trace-to-pick" />
        </div>
        <div className="pwi-field pwi-field-short">
          <label htmlFor="pwi-proto">Protocol</label>
          <select id="pwi-proto" data-testid="trace-proto" value={form.proto} onChange={(e) => setForm({ ...form, proto: e.target.value as Proto })}>
            <option value="tcp">tcp</option>
            <option value="udp">udp</option>
            <option value="icmp">icmp (ping)</option>
          </select>
          <label htmlFor="pwi-port">Port</label>
          <input id="pwi-port" data-testid="trace-port" className="pwi-port" inputMode="numeric" value={form.port} disabled={form.proto === 'icmp'} onChange={(e) => setForm({ ...form, port: e.target.value })} />
        </div>
        <label className="pwi-check">
          <input type="checkbox" data-testid="trace-all-outcomes" checked={form.allOutcomes} onChange={(e) => setForm({ ...form, allOutcomes: e.target.checked })} />
          All outcomes (every backend a load-balanced Service can pick, with its probability)
        </label>
        <button type="submit" className="pw-button pwi-primary" data-testid="trace-run">
          Trace
        </button>
      </form>
      {error && (
        <p className="pwi-error" role="alert" data-testid="trace-error">
          {error}
        </p>
      )}
      {traced && (
        <div className="pwi-outcomes" data-testid="trace-outcomes">
          <p className="pw-muted">
            {traced.send.proto} {traced.send.from} → {traced.send.to}
            {traced.send.dport !== undefined ? `:${traced.send.dport}` : ''} ({traced.explain}): {traced.list.outcomes.length === 1 ? 'one outcome' : `${traced.list.outcomes.length} outcomes`}
          </p>
          <ol className="pwi-list">
            {traced.list.outcomes.map((o) => (
              <OutcomeCard key={o.index} world={world} outcome={o} total={traced.list.outcomes.length} onPlay={() => void play(o)} busy={opening} />
            ))}
          </ol>
        </div>
      )}
    </section>
  )
}

function optionKey(o: PickOption): string {
  return `${o.group}|${o.value}|${o.port ?? ''}|${o.proto ?? ''}`
}

function Picker({ label, options, onPick, testid }: { readonly label: string; readonly options: readonly PickOption[]; readonly onPick: (key: string) => void; readonly testid: string }) {
  const groups = [...new Set(options.map((o) => o.group))]
  return (
    <select aria-label={label} data-testid={testid} value="" onChange={(e) => onPick(e.target.value)} className="pwi-picker">
      <option value="">{label}…</option>
      {groups.map((g) => (
        <optgroup key={g} label={g}>
          {options
            .filter((o) => o.group === g)
            .map((o) => (
              <option key={optionKey(o)} value={optionKey(o)}>
                {o.label}
              </option>
            ))}
        </optgroup>
      ))}
    </select>
  )
}

function OutcomeCard({ world, outcome: o, total, onPlay, busy }: { readonly world: World; readonly outcome: ListedOutcome; readonly total: number; readonly onPlay: () => void; readonly busy: boolean }) {
  const t = o.traced
  const path = useMemo(() => (t ? matchedRules(world, t.steps) : matchedAtHook(world, o.choice)).filter((r) => r.table === 'nat' && (r.action.startsWith('jump') || r.action.startsWith('DNAT') || r.action.startsWith('SNAT') || r.action.startsWith('MASQ'))), [world, t, o.choice])
  // Not traced yet: a drop or reject by the choosing hook is the outcome's verdict; anything else is known once traced.
  const verdict = t ? t.verdict : o.choice.verdictAtHook === 'DROP' ? 'dropped' : o.choice.verdictAtHook === 'REJECT' ? 'rejected' : 'not traced'
  return (
    <li className={`pwi-outcome pwi-${t ? t.verdict : verdict.replace(' ', '-')}`} data-testid="trace-outcome">
      <div className="pwi-outcome-head">
        {total > 1 && <span className="pwi-prob">{percent(o.probability)}</span>}
        <span className="pwi-verdict">{verdict}</span>
        <span data-testid="trace-outcome-text">{t ? describeOutcome(t) : describeChoice(o.choice)}</span>
      </div>
      {path.length > 0 && (
        <ol className="pwi-path" aria-label="Rules it matched" data-testid="trace-outcome-path">
          {path.map((r, i) => (
            <li key={i}>
              <code>
                {r.hook} {r.table} {r.chain}
              </code>
              {r.line !== undefined && (
                <span className="pwi-where">
                  {' '}
                  {r.file ?? ''}:{r.line}
                </span>
              )}
              {' → '}
              <strong>{r.action}</strong>
              {r.probability !== undefined && <span className="pw-muted"> (p={r.probability})</span>}
            </li>
          ))}
        </ol>
      )}
      <button type="button" className="pw-button" onClick={onPlay} disabled={busy} data-testid="trace-play">
        {total > 1 ? 'Play this outcome' : 'Play'} in the explainer{t ? ` (${t.steps.length} steps)` : ''}
      </button>
    </li>
  )
}
