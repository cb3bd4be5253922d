// A chat message as chat templates read it (shared by the template renderer and the assistant-span
// finder, so neither imports the other).
export interface ChatMessage {
  role: string;
  content: string;
  /** Template-specific fields pass through (reasoning_content, tool_calls, name, ...). */
  [field: string]: unknown;
}
