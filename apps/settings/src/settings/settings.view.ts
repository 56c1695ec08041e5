import { dateTimeStyleOf, formatNullableInstant, OrgSettings } from '@keywarden/contracts';
import { SettingsState } from '../domain/settings.decider';

/** The `Settings` of API.md, plus when they last changed (in the organisation's date-time format). */
export type SettingsView = OrgSettings & Readonly<{ updatedAt: string | null }>;

export function toSettingsView(state: SettingsState): SettingsView {
  // The service's own fresh state decides the format: a PATCH that turns `isoUtcTimestamps` on
  // answers in the new format at once.
  const style = dateTimeStyleOf(state.settings.isoUtcTimestamps);
  return { ...state.settings, notificationEmails: [...state.settings.notificationEmails], updatedAt: formatNullableInstant(state.updatedAt, style) };
}
