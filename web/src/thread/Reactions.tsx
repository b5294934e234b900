import type { WebMessageChangesFragment } from '../gql/graphql';

/** The quick choices; any single emoji works with the API. */
export const QUICK_EMOJI = ['👍', '❤️', '😂', '😮', '🙏'];

type Group = WebMessageChangesFragment['reactions'][number];

/**
 * A message's reactions as toggle buttons (pressed = the viewer's own), and a row of quick
 * emoji to add one (`picker`: only while the message's actions are open, so a thread is not a
 * wall of emoji). `onToggle` answers whether to add or remove.
 */
export function Reactions({
  reactions,
  disabled,
  picker = true,
  onToggle,
}: {
  reactions: readonly Group[];
  disabled?: boolean;
  picker?: boolean;
  onToggle: (emoji: string, add: boolean) => void;
}) {
  if (reactions.length === 0 && !picker) return null;
  return (
    <div className="reactions">
      {reactions.length > 0 && (
      <ul className="reaction-groups" aria-label="Reactions">
        {reactions.map((group) => (
          <li key={group.emoji}>
            <button
              type="button"
              data-testid="reaction"
              aria-pressed={group.reactedByViewer}
              disabled={disabled}
              aria-label={`${group.emoji} ${group.count}${group.reactedByViewer ? ', including you' : ''}`}
              onClick={() => onToggle(group.emoji, !group.reactedByViewer)}
            >
              {group.emoji} {group.count}
            </button>
          </li>
        ))}
      </ul>
      )}
      {picker && (
      <div className="reaction-picker" role="group" aria-label="Add a reaction">
        {QUICK_EMOJI.filter((emoji) => !reactions.some((g) => g.emoji === emoji && g.reactedByViewer)).map((emoji) => (
          <button key={emoji} type="button" disabled={disabled} aria-label={`React with ${emoji}`} onClick={() => onToggle(emoji, true)}>
            {emoji}
          </button>
        ))}
      </div>
      )}
    </div>
  );
}
