import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { WebSettingsDocument, WebUpdateSettingsDocument, type WebPreferencesFragment } from '../gql/graphql';
import { timeZones } from './time-zones';

type Flags = Omit<WebPreferencesFragment, 'quietHours' | '__typename'>;
type FlagName = keyof Flags;

const TYPES: { name: FlagName; label: string }[] = [
  { name: 'newMessagePush', label: 'New messages' },
  { name: 'newApplicationPush', label: 'New applications' },
  { name: 'applicationStatusPush', label: 'Application status changes' },
  { name: 'newReviewPush', label: 'New reviews' },
  { name: 'workAgreementPush', label: 'Work agreements' },
];

function withoutTypename(prefs: WebPreferencesFragment) {
  const { quietHours, ...flags } = prefs;
  const { __typename: _f, ...plainFlags } = flags as Flags & { __typename?: string };
  const { __typename: _q, ...plainQuiet } = quietHours as typeof quietHours & { __typename?: string };
  return { flags: plainFlags as Flags, quietHours: plainQuiet };
}

export function Settings({ onBack }: { onBack: () => void }) {
  const { data, loading, error } = useQuery(WebSettingsDocument);
  const [save, saving] = useMutation(WebUpdateSettingsDocument);
  const [form, setForm] = useState<ReturnType<typeof withoutTypename> | null>(null);
  const [status, setStatus] = useState<'idle' | 'saved' | 'error'>('idle');
  const zones = useMemo(timeZones, []);

  useEffect(() => {
    if (data && !form) setForm(withoutTypename(data.notificationPreferences));
  }, [data, form]);

  const setFlag = (name: FlagName, value: boolean) => form && setForm({ ...form, flags: { ...form.flags, [name]: value } });
  const setQuiet = (patch: Partial<typeof form extends null ? never : NonNullable<typeof form>['quietHours']>) =>
    form && setForm({ ...form, quietHours: { ...form.quietHours, ...patch } });

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    if (!form) return;
    setStatus('idle');
    try {
      const result = await save({ variables: { input: { ...form.flags, quietHours: form.quietHours } } });
      if (result.data) setForm(withoutTypename(result.data.updateNotificationPreferences));
      setStatus('saved');
    } catch {
      setStatus('error');
    }
  };

  return (
    <main className="view settings-view">
      <header className="bar">
        <button type="button" className="icon-button" onClick={onBack} aria-label="Back to conversations">
          ←
        </button>
        <h1 tabIndex={-1}>Notifications</h1>
      </header>
      {error && <p role="alert">Could not load your settings.</p>}
      {loading && !form && <p className="loading">Loading…</p>}
      {form && (
        <form className="settings" onSubmit={onSubmit}>
          <fieldset>
            <legend>Channels</legend>
            <label className="switch-row">
              <input type="checkbox" role="switch" checked={form.flags.pushEnabled} onChange={(e) => setFlag('pushEnabled', e.target.checked)} data-testid="push-toggle" />
              Push notifications
            </label>
            <label className="switch-row">
              <input type="checkbox" role="switch" checked={form.flags.emailEnabled} onChange={(e) => setFlag('emailEnabled', e.target.checked)} data-testid="email-toggle" />
              Email digests of unread messages
            </label>
          </fieldset>
          <fieldset disabled={!form.flags.pushEnabled}>
            <legend>Push me about</legend>
            {TYPES.map(({ name, label }) => (
              <label className="switch-row" key={name}>
                <input type="checkbox" checked={form.flags[name]} onChange={(e) => setFlag(name, e.target.checked)} data-testid={`type-${name}`} />
                {label}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Quiet hours</legend>
            <label className="switch-row">
              <input
                type="checkbox"
                role="switch"
                data-testid="quiet-hours-toggle"
                checked={form.quietHours.enabled}
                onChange={(e) => setQuiet({ enabled: e.target.checked })}
              />
              Hold pushes during quiet hours
            </label>
            <div className="time-row">
              <label>
                From
                <input type="time" required data-testid="quiet-hours-start" value={form.quietHours.start} onChange={(e) => setQuiet({ start: e.target.value })} />
              </label>
              <label>
                To
                <input type="time" required data-testid="quiet-hours-end" value={form.quietHours.end} onChange={(e) => setQuiet({ end: e.target.value })} />
              </label>
            </div>
            <label>
              Time zone
              <select data-testid="quiet-hours-timezone" value={form.quietHours.timezone} onChange={(e) => setQuiet({ timezone: e.target.value })}>
                {!zones.includes(form.quietHours.timezone) && <option value={form.quietHours.timezone}>{form.quietHours.timezone}</option>}
                {zones.map((zone) => (
                  <option key={zone} value={zone}>
                    {zone.replace(/_/g, ' ')}
                  </option>
                ))}
              </select>
            </label>
          </fieldset>
          <button type="submit" data-testid="settings-save" disabled={saving.loading}>
            {saving.loading ? 'Saving…' : 'Save'}
          </button>
          <p role="status" className="save-status">
            {status === 'saved' ? 'Saved.' : status === 'error' ? 'Could not save. Check the times and try again.' : ''}
          </p>
        </form>
      )}
    </main>
  );
}
