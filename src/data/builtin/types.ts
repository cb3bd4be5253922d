// Shapes shared by the built-in task's files (index.ts re-exports them).

/** One chat turn; structurally the same as src/tokenizer's ChatMessage (a type alias, not an
 *  interface, so it is assignable to that type's index signature). */
export type ChatMessage = {
  role: 'system' | 'user' | 'assistant';
  content: string;
};

export type Difficulty = 1 | 2 | 3;

export interface MathProblem {
  question: string;
  /** The reference answer; the solution's last \boxed{} holds it. */
  answer: number;
  /** Short step-by-step reasoning, one arithmetic operation per "a op b = c", ending in \boxed{answer}. */
  solution: string;
  /** Arithmetic operations in the solution (1-3). */
  steps: number;
  /** The mathematical structure, e.g. 'add', 'add-sub', 'linear' (several templates share one kind). */
  kind: string;
  /** The wording, e.g. 'add-sub.give'. */
  template?: string;
  /** Canonical problem key: kind + the question's numbers, sorted. The same problem in other words
   *  (another template of the same kind, other names and things) has the same key. */
  key?: string;
  /** Canonical computation key: the solution's equations, commutative operands sorted. Catches the
   *  same computation asked as another kind ("x + 5 = 12" and "12 take away 5"). */
  stepsKey?: string;
}

export interface InstructionItem {
  instruction: string;
  /** The exact reference answer (what the SFT assistant turn says). */
  answer: string;
  kind: string;
  /** Canonical key: kind + its argument ('spell|apple'); the same item in other words shares it. */
  key?: string;
  /** For set-valued answers ("List three fruits."): any `count` distinct members also count as correct. */
  members?: string[];
  count?: number;
}

export interface SftConversation {
  messages: ChatMessage[];
  kind: 'reasoning' | 'non-reasoning';
}
