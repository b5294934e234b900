import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { Reactions } from './Reactions';

const group = (emoji: string, count: number, reactedByViewer: boolean) => ({ __typename: 'ReactionGroup' as const, emoji, count, reactedByViewer });

describe('Reactions', () => {
  it('shows each group with its count and whether it is the viewer’s, and toggles it', async () => {
    const onToggle = vi.fn();
    render(<Reactions reactions={[group('👍', 2, true), group('😂', 1, false)]} onToggle={onToggle} />);
    const [thumbs, laugh] = screen.getAllByTestId('reaction');
    expect(thumbs.textContent).toBe('👍 2');
    expect(thumbs.getAttribute('aria-pressed')).toBe('true');
    expect(laugh.getAttribute('aria-pressed')).toBe('false');
    await userEvent.click(thumbs);
    expect(onToggle).toHaveBeenLastCalledWith('👍', false);
    await userEvent.click(laugh);
    expect(onToggle).toHaveBeenLastCalledWith('😂', true);
  });

  it('offers the quick emoji the viewer has not used yet', async () => {
    const onToggle = vi.fn();
    render(<Reactions reactions={[group('👍', 1, true)]} onToggle={onToggle} />);
    expect(screen.queryByRole('button', { name: 'React with 👍' })).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: 'React with ❤️' }));
    expect(onToggle).toHaveBeenCalledWith('❤️', true);
  });
});
