export function TypingIndicator({ name }: { name: string }) {
  return (
    <p className="typing" data-testid="typing-indicator" role="status">
      {name} is typing…
    </p>
  );
}
