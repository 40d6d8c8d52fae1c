/** Trace events the register layer reports; expected events are data, not errors (style.md "Errors"). */
export type RegisterEvent =
  | {
      type: 'reg.unmodelled';
      op: 'read' | 'write';
      map: string;
      page: number | undefined;
      address: number;
      value: number;
    }
  | { type: 'reg.tagged'; map: string; register: string; field: string; value: number };

export type RegisterEventSink = (event: RegisterEvent) => void;
