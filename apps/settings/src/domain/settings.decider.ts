import {
  Actor,
  DEFAULT_SETTINGS,
  OPERATOR_ONLY_SETTINGS,
  OrgSettings,
  SETTINGS_FIELDS,
  SettingsChanged,
  SettingsEvent,
  SettingsPatch,
  sameSettingValue,
  settingsProblems,
} from '@keywarden/contracts';
import { SettingsError } from './settings.errors';

// ---------------------------------------------------------------------------------------------
// State: the defaults with every recorded change folded over them.
// ---------------------------------------------------------------------------------------------

export type SettingsState = Readonly<{
  settings: OrgSettings;
  /** When and by whom the settings last changed; null while the organisation has the defaults. */
  updatedAt: string | null;
  updatedBy: Actor | null;
}>;

export const initialState = (): SettingsState => ({ settings: DEFAULT_SETTINGS, updatedAt: null, updatedBy: null });

export function evolve(state: SettingsState, event: SettingsEvent): SettingsState {
  switch (event.type) {
    case 'SettingsChanged':
      return {
        settings: { ...state.settings, ...event.data.changes },
        updatedAt: event.data.changedAt,
        updatedBy: event.data.actor,
      };
    default: {
      const unknownEvent: never = event.type;
      throw new Error(`unknown settings event ${String(unknownEvent)}`);
    }
  }
}

export const fold = (events: readonly SettingsEvent[], from: SettingsState = initialState()): SettingsState =>
  events.reduce(evolve, from);

// ---------------------------------------------------------------------------------------------
// Commands: pure decisions on state. Time and the caller's role arrive on the command.
// ---------------------------------------------------------------------------------------------

type Meta = Readonly<{ now: string; actor: Actor; isOperator: boolean }>;

export type ChangeSettings = Readonly<{ type: 'ChangeSettings'; data: { orgId: string; patch: SettingsPatch }; metadata: Meta }>;

export type SettingsCommand = ChangeSettings;

const CONTACT_CS =
  'can be changed only by Keywarden staff: contact your CS representative if you need support for larger Base64 file sizes';

export function decide(command: SettingsCommand, state: SettingsState): SettingsEvent[] {
  switch (command.type) {
    case 'ChangeSettings': {
      const { orgId, patch } = command.data;
      const given = Object.entries(patch).filter(([, value]) => value !== undefined) as Array<[keyof OrgSettings, unknown]>;
      // Only real changes count: sending back the value just read (a whole GET body) is allowed,
      // even for an operator-only field, and records nothing.
      const changed = given.filter(([field, value]) => !sameSettingValue(state.settings[field], value));

      const forbidden = changed.map(([field]) => field).filter((field) => OPERATOR_ONLY_SETTINGS.has(field));
      if (forbidden.length && !command.metadata.isOperator) {
        throw new SettingsError('OPERATOR_ONLY_SETTING', `${forbidden.join(', ')} ${CONTACT_CS}`, { fields: forbidden });
      }
      const problems = settingsProblems(Object.fromEntries(given));
      if (problems.length) {
        throw new SettingsError('INVALID_SETTINGS', `invalid settings: ${problems.join('; ')}`, { problems });
      }
      if (changed.length === 0) return [];
      // Field order follows the Settings type, so the recorded change reads the same whatever the body's order.
      const changes = Object.fromEntries(
        SETTINGS_FIELDS.filter((field) => changed.some(([f]) => f === field)).map((field) => [field, copy(patch[field])]),
      ) as SettingsPatch;
      const event: SettingsChanged = {
        type: 'SettingsChanged',
        data: { orgId, changes, changedAt: command.metadata.now, actor: command.metadata.actor },
      };
      return [event];
    }
    default: {
      const unknownCommand: never = command.type;
      throw new Error(`unknown settings command ${String(unknownCommand)}`);
    }
  }
}

const copy = <T>(value: T): T => (Array.isArray(value) ? ([...value] as T) : value);
