/** MESSAGE_EDIT_WINDOW_MINUTES' default: the server decides, this only hides stale actions. */
export const EDIT_WINDOW_MINUTES = 1440;

export function withinEditWindow(createdAt: string, now: Date = new Date(), minutes = EDIT_WINDOW_MINUTES): boolean {
  return now.getTime() - new Date(createdAt).getTime() < minutes * 60_000;
}
