// Control flow and failures of the in-process shell, as exceptions.

/** A shell error that ends the command with a message on stderr and a status (dash's wording). */
export class ShellError extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** Something the interpreter does not reproduce: the whole command goes to a real shell. */
export class Unsupported extends Error {}

/** Resource bounds exceeded (command count, output size, recursion): the command fails. */
export class ShellLimit extends Error {}

export class ExitSignal {
  constructor(readonly status: number) {}
}
export class ReturnSignal {
  constructor(readonly status: number) {}
}
export class LoopSignal {
  constructor(readonly kind: 'break' | 'continue', public levels: number) {}
}
