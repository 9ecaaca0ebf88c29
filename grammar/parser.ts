// The .pkt grammar as a pure Chevrotain CstParser: no semantic actions, only the shape of the
// language (docs/language.md §3-§9). The visitor in src/script/build.ts gives the tree meaning.
// Gates only look ahead; they never change what a rule builds.

import { CstParser, EOF, tokenMatcher, type IToken, type Rule, type TokenType } from 'chevrotain';
import * as T from './tokens.js';
import { pktErrorMessages } from './messages.js';
import { grammarChecked, storedAnalysisJson } from './checked.js';
import { LazyLookahead } from './lazy-lookahead.js';
import { replayGast, type GrammarAnalysis } from './analysis.js';
import { StoredLookahead } from './stored-lookahead.js';

const K = T.K;
export const MAX_LOOKAHEAD = 2;

export class PktParser extends CstParser {
  /**
   * With `analysis` (the bundle's, grammar/analysis.ts) the grammar is not recorded nor analysed
   * again: its GAST is rebuilt from the data and its lookahead functions made from stored paths.
   */
  constructor(analysis?: GrammarAnalysis) {
    const tokens = new Map([...T.allTokens, EOF].map((t) => [t.name, t]));
    super(T.allTokens, {
      recoveryEnabled: false,
      nodeLocationTracking: 'full',
      maxLookahead: MAX_LOOKAHEAD,
      lookaheadStrategy: analysis ? new StoredLookahead(analysis.paths, tokens, MAX_LOOKAHEAD) : new LazyLookahead(MAX_LOOKAHEAD),
      errorMessageProvider: pktErrorMessages,
      skipValidations: grammarChecked,
    });
    if (analysis) {
      const gast = replayGast(analysis.rules, tokens);
      // performSelfAnalysis() records each rule through this method (Chevrotain's GastRecorder):
      // an own property answering from the stored GAST replaces the recording run.
      // Nothing is recorded, so the recording mode's method swaps are skipped too.
      Object.assign(this, {
        topLevelRuleRecord: (name: string): Rule => {
          const rule = gast.get(name);
          if (!rule) throw new Error(`the stored grammar analysis has no rule ${name}: rebuild (npm run build)`);
          return rule;
        },
        enableRecording: () => undefined,
        disableRecording: () => undefined,
      });
    }
    this.performSelfAnalysis();
    if (analysis) for (const k of ['topLevelRuleRecord', 'enableRecording', 'disableRecording']) delete (this as unknown as Record<string, unknown>)[k];
  }

  /** True when LA(1) is a word that is not an MP_CAPABLE flag name (legacy key names). */
  private isKeyName(): boolean {
    const t = this.LA(1);
    return tokenIs(t, T.Word) && !tokenIs(t, T.MptcpFlag);
  }

  /** `NAME=` or `NAME(...)=`: a named struct field rather than a positional expression. */
  private isNamedField(): boolean {
    if (!tokenIs(this.LA(1), T.Word)) return false;
    const second = this.LA(2);
    if (tokenIs(second, T.Equals)) return true;
    if (!tokenIs(second, T.LParen)) return false;
    let depth = 0;
    for (let i = 2; ; i++) {
      const t = this.LA(i);
      if (t.tokenType === EOF) return false;
      if (tokenIs(t, T.LParen)) depth++;
      else if (tokenIs(t, T.RParen) && --depth === 0) return tokenIs(this.LA(i + 1), T.Equals);
    }
  }

  /** The operator at LA(1) touches the token before it and the one after it. */
  private tightOperator(): boolean {
    const prev = this.LA(0);
    const op = this.LA(1);
    const next = this.LA(2);
    return (prev.endOffset ?? -2) + 1 === op.startOffset && (op.endOffset ?? -2) + 1 === next.startOffset;
  }

  // ---- File ----------------------------------------------------------------------------------

  public script = this.RULE('script', () => {
    this.MANY(() => this.CONSUME(T.OptionLine));
    this.OPTION(() => this.CONSUME(T.Backquoted, { LABEL: 'initCommand' }));
    this.MANY2(() => this.SUBRULE(this.event));
    this.OPTION2(() => this.CONSUME2(T.Backquoted, { LABEL: 'cleanupCommand' }));
  });

  public event = this.RULE('event', () => {
    this.SUBRULE(this.time);
    this.OPTION(() => {
      this.CONSUME(T.Ellipsis);
      this.SUBRULE(this.timePoint, { LABEL: 'blockingEnd' });
    });
    this.SUBRULE(this.action);
  });

  public time = this.RULE('time', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Star) },
      {
        ALT: () => {
          this.SUBRULE(this.timePoint, { LABEL: 'start' });
          this.OPTION(() => {
            this.CONSUME(T.Tilde);
            this.SUBRULE2(this.timePoint, { LABEL: 'end' });
          });
        },
      },
    ]);
  });

  public timePoint = this.RULE('timePoint', () => {
    this.OPTION(() => this.CONSUME(T.Plus));
    this.OR([{ ALT: () => this.CONSUME(T.Int) }, { ALT: () => this.CONSUME(T.Float) }]);
  });

  public action = this.RULE('action', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.packet) },
      { GATE: () => this.LA(1).image === 'event' && tokenIs(this.LA(2), T.Word), ALT: () => this.SUBRULE(this.pmEvent) },
      { ALT: () => this.SUBRULE(this.syscall) },
      { ALT: () => this.CONSUME(T.Backquoted) },
      { ALT: () => this.CONSUME(T.CodeBlock) },
    ]);
  });

  // ---- System calls --------------------------------------------------------------------------

  public syscall = this.RULE('syscall', () => {
    this.CONSUME(T.Word, { LABEL: 'name' });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.callArg, { LABEL: 'args' }) });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Equals);
    this.SUBRULE3(this.expr, { LABEL: 'result' });
    this.OPTION2(() => this.CONSUME2(T.Word, { LABEL: 'errno' }));
    this.OPTION3(() => this.SUBRULE(this.note));
  });

  /** `event created(token=..., server_side=1)`: a path-manager event expected (docs/language.md §6.5). */
  public pmEvent = this.RULE('pmEvent', () => {
    this.CONSUME(T.Word, { LABEL: 'keyword' });
    this.CONSUME2(T.Word, { LABEL: 'type' });
    this.CONSUME(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.callArg, { LABEL: 'args' }) });
    this.CONSUME(T.RParen);
  });

  /** `name=expr` (a path-manager command's arguments, docs/language.md §6.4) or an expression. */
  public callArg = this.RULE('callArg', () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => tokenIs(this.LA(1), T.Word) && tokenIs(this.LA(2), T.Equals),
          ALT: () => {
            this.CONSUME(T.Word, { LABEL: 'name' });
            this.CONSUME(T.Equals);
            this.SUBRULE(this.expr, { LABEL: 'value' });
          },
        },
        { ALT: () => this.SUBRULE2(this.expr, { LABEL: 'value' }) },
      ],
    });
  });

  /** Free text up to the matching parenthesis. */
  public note = this.RULE('note', () => {
    this.CONSUME(T.LParen);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.NoteAtom) },
        { ALT: () => this.SUBRULE(this.note) },
      ]);
    });
    this.CONSUME(T.RParen);
  });

  public expr = this.RULE('expr', () => {
    this.SUBRULE(this.sumExpr, { LABEL: 'terms' });
    this.MANY(() => {
      this.CONSUME(T.Pipe);
      this.SUBRULE2(this.sumExpr, { LABEL: 'terms' });
    });
  });

  public sumExpr = this.RULE('sumExpr', () => {
    this.SUBRULE(this.primary, { LABEL: 'operands' });
    // Only `1000+1` written tight: `= 3` followed by an event at `+0` is not `3 + 0`.
    this.MANY({ GATE: () => this.tightOperator(), DEF: () => {
      this.OR([
        { ALT: () => this.CONSUME(T.Plus, { LABEL: 'ops' }) },
        { ALT: () => this.CONSUME(T.Minus, { LABEL: 'ops' }) },
      ]);
      this.SUBRULE2(this.primary, { LABEL: 'operands' });
    } });
  });

  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Ellipsis) },
      { ALT: () => this.CONSUME(T.Int) },
      { ALT: () => this.CONSUME(T.Hex) },
      { ALT: () => this.SUBRULE(this.stringExpr) },
      { ALT: () => this.SUBRULE(this.wordExpr) },
      { ALT: () => this.SUBRULE(this.arrayExpr) },
      { ALT: () => this.SUBRULE(this.structExpr) },
    ]);
  });

  /** Adjacent strings concatenate; a trailing `...` is kept for printing only. */
  public stringExpr = this.RULE('stringExpr', () => {
    this.AT_LEAST_ONE(() => this.CONSUME(T.StringLit));
    this.OPTION(() => this.CONSUME(T.Ellipsis));
  });

  /** A symbol, or a helper call `htons(8080)` / `inet_addr("1.2.3.4")`. */
  public wordExpr = this.RULE('wordExpr', () => {
    this.CONSUME(T.Word);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP2({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expr, { LABEL: 'args' }) });
      this.CONSUME(T.RParen);
    });
  });

  public arrayExpr = this.RULE('arrayExpr', () => {
    this.CONSUME(T.LBracket);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.expr, { LABEL: 'items' }) });
    this.CONSUME(T.RBracket);
  });

  public structExpr = this.RULE('structExpr', () => {
    this.CONSUME(T.LBrace);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.structField, { LABEL: 'fields' }) });
    this.CONSUME(T.RBrace);
  });

  /** `name=expr`, `msg_iov(1)=expr`, or a positional expression. */
  public structField = this.RULE('structField', () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => this.isNamedField(),
          ALT: () => {
            this.CONSUME(T.Word, { LABEL: 'name' });
            this.OPTION(() => {
              this.CONSUME(T.LParen);
              this.SUBRULE(this.expr, { LABEL: 'count' });
              this.CONSUME(T.RParen);
            });
            this.CONSUME(T.Equals);
            this.SUBRULE2(this.expr, { LABEL: 'value' });
          },
        },
        { ALT: () => this.SUBRULE3(this.expr, { LABEL: 'value' }) },
      ],
    });
  });

  // ---- Packets -------------------------------------------------------------------------------

  public packet = this.RULE('packet', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.LAngle, { LABEL: 'direction' }) },
      { ALT: () => this.CONSUME(T.RAngle, { LABEL: 'direction' }) },
    ]);
    this.MANY(() => this.SUBRULE(this.encap));
    this.OPTION(() => this.SUBRULE(this.ipInfo));
    // `udp` and `icmp` are words too, so they would also start TCP flags: tried first.
    this.OR2({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.SUBRULE(this.udpBody) },
        { ALT: () => this.SUBRULE(this.icmpBody) },
        {
          ALT: () => {
            this.OPTION2(() => this.SUBRULE(this.encapPsp));
            this.OPTION3(() => this.SUBRULE(this.tuple));
            this.SUBRULE(this.tcpBody);
          },
        },
      ],
    });
    this.OPTION4(() => this.SUBRULE(this.badChecksum));
  });

  public encap = this.RULE('encap', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(K.ipv4, { LABEL: 'family' });
          this.OPTION(() => this.SUBRULE(this.ipInfo));
          this.CONSUME(T.Ipv4Lit, { LABEL: 'src' });
          this.CONSUME(T.RAngle);
          this.CONSUME2(T.Ipv4Lit, { LABEL: 'dst' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.ipv6, { LABEL: 'family' });
          this.OPTION2(() => this.SUBRULE2(this.ipInfo));
          this.CONSUME(T.Ipv6Lit, { LABEL: 'src' });
          this.CONSUME2(T.RAngle);
          this.CONSUME2(T.Ipv6Lit, { LABEL: 'dst' });
        },
      },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(K.gre, { LABEL: 'family' }) },
            { ALT: () => this.CONSUME(K.mpls, { LABEL: 'family' }) },
          ]);
          this.MANY(() => this.CONSUME(T.EncapAtom, { LABEL: 'raw' }));
        },
      },
    ]);
    this.CONSUME(T.Colon);
  });

  /** [google] `encap psp spi N`. */
  public encapPsp = this.RULE('encapPsp', () => {
    this.CONSUME(K.encap);
    this.CONSUME(K.psp);
    this.CONSUME(K.spi);
    this.SUBRULE(this.intValue);
  });

  public ipInfo = this.RULE('ipInfo', () => {
    this.OR([{ ALT: () => this.CONSUME(T.LParen) }, { ALT: () => this.CONSUME(T.LBracket) }]);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.ipInfoItem, { LABEL: 'items' }) });
    this.OR2([{ ALT: () => this.CONSUME(T.RParen) }, { ALT: () => this.CONSUME(T.RBracket) }]);
  });

  public ipInfoItem = this.RULE('ipInfoItem', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.EcnKw, { LABEL: 'ecn' }) },
      { ALT: () => { this.CONSUME(K.tos, { LABEL: 'field' }); this.SUBRULE(this.intValue); } },
      { ALT: () => { this.CONSUME(K.flowlabel, { LABEL: 'field' }); this.SUBRULE2(this.intValue); } },
      { ALT: () => { this.CONSUME(K.ttl, { LABEL: 'field' }); this.SUBRULE3(this.intValue); } },
    ]);
  });

  public tuple = this.RULE('tuple', () => {
    this.OPTION(() => this.SUBRULE(this.endpoint, { LABEL: 'src' }));
    this.CONSUME(T.RAngle);
    this.OPTION2(() => this.SUBRULE2(this.endpoint, { LABEL: 'dst' }));
  });

  public endpoint = this.RULE('endpoint', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Int, { LABEL: 'port' }) },
      {
        ALT: () => {
          this.CONSUME(T.Ipv4Lit, { LABEL: 'address' });
          this.CONSUME(T.Colon);
          this.CONSUME2(T.Int, { LABEL: 'port' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Ipv6Lit, { LABEL: 'address' });
          this.OPTION(() => {
            this.CONSUME2(T.Colon);
            this.CONSUME3(T.Int, { LABEL: 'port' });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.CONSUME2(T.Ipv6Lit, { LABEL: 'address' });
          this.CONSUME(T.RBracket);
          this.CONSUME3(T.Colon);
          this.CONSUME4(T.Int, { LABEL: 'port' });
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.addr);
          this.CONSUME2(T.LBracket);
          this.CONSUME(T.Word, { LABEL: 'name' });
          this.CONSUME2(T.RBracket);
        },
      },
    ]);
  });

  public tcpBody = this.RULE('tcpBody', () => {
    this.SUBRULE(this.tcpFlags);
    this.SUBRULE(this.seqRange);
    this.MANY(() => {
      this.OR([
        { ALT: () => { this.CONSUME(K.ack, { LABEL: 'field' }); this.SUBRULE(this.intValue, { LABEL: 'ackValue' }); } },
        { ALT: () => { this.CONSUME(K.win, { LABEL: 'field' }); this.SUBRULE2(this.intValue, { LABEL: 'winValue' }); } },
        { ALT: () => { this.CONSUME(K.urg, { LABEL: 'field' }); this.SUBRULE3(this.intValue, { LABEL: 'urgValue' }); } },
      ]);
    });
    this.OPTION(() => this.SUBRULE(this.tcpOptions));
  });

  /** `S`, `S.`, `P.`, `.`, `-`, `SEW`, and AccECN `S.0` / `.3` (a float after the letters). */
  public tcpFlags = this.RULE('tcpFlags', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Word, { LABEL: 'letters' });
          this.OPTION(() => {
            this.OR2([
              { ALT: () => this.CONSUME(T.Dot) },
              { ALT: () => this.CONSUME(T.Float, { LABEL: 'ace' }) },
            ]);
          });
        },
      },
      { ALT: () => this.CONSUME2(T.Dot) },
      { ALT: () => this.CONSUME2(T.Float, { LABEL: 'ace' }) },
      { ALT: () => this.CONSUME(T.Minus) },
    ]);
  });

  public seqRange = this.RULE('seqRange', () => {
    this.SUBRULE(this.intValue, { LABEL: 'start' });
    this.CONSUME(T.Colon);
    this.SUBRULE2(this.intValue, { LABEL: 'end' });
    this.CONSUME(T.LParen);
    this.SUBRULE3(this.intValue, { LABEL: 'length' });
    this.CONSUME(T.RParen);
  });

  public tcpOptions = this.RULE('tcpOptions', () => {
    this.CONSUME(T.LAngle);
    this.OR([
      { ALT: () => this.CONSUME(T.Ellipsis) },
      {
        ALT: () => {
          this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.tcpOption, { LABEL: 'options' }) });
        },
      },
    ]);
    this.CONSUME(T.RAngle);
  });

  public tcpOption = this.RULE('tcpOption', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.nop, { LABEL: 'kind' }) },
      { ALT: () => this.CONSUME(K.eol, { LABEL: 'kind' }) },
      { ALT: () => { this.CONSUME(K.mss, { LABEL: 'kind' }); this.SUBRULE(this.intValue); } },
      { ALT: () => { this.CONSUME(K.wscale, { LABEL: 'kind' }); this.SUBRULE2(this.intValue); } },
      { ALT: () => this.CONSUME(K.sackOK, { LABEL: 'kind' }) },
      {
        ALT: () => {
          this.CONSUME(K.sack, { LABEL: 'kind' });
          this.MANY(() => this.SUBRULE(this.sackBlock, { LABEL: 'blocks' }));
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.TS, { LABEL: 'kind' });
          this.CONSUME(K.val);
          this.SUBRULE3(this.intValue, { LABEL: 'tsVal' });
          this.CONSUME(K.ecr);
          this.SUBRULE4(this.intValue, { LABEL: 'tsEcr' });
        },
      },
      { ALT: () => { this.CONSUME(K.md5, { LABEL: 'kind' }); this.OPTION(() => this.SUBRULE(this.cookie)); } },
      { ALT: () => { this.CONSUME(K.FO, { LABEL: 'kind' }); this.OPTION2(() => this.SUBRULE2(this.cookie)); } },
      { ALT: () => { this.CONSUME(K.FOEXP, { LABEL: 'kind' }); this.OPTION3(() => this.SUBRULE3(this.cookie)); } },
      // `raw KIND HEX...`: any option as bytes (kind, computed length, data), e.g. an MPTCP option
      // of a subtype no keyword writes (docs/language.md §7.3). The data may be split in groups:
      // a 0x number is at most 64 bits to the lexer.
      { ALT: () => { this.CONSUME(K.raw, { LABEL: 'kind' }); this.SUBRULE6(this.intValue, { LABEL: 'rawKind' }); this.MANY3(() => this.SUBRULE4(this.cookie, { LABEL: 'rawData' })); } },
      {
        ALT: () => {
          this.CONSUME(K.ECN, { LABEL: 'kind' });
          this.MANY2(() => {
            this.CONSUME(T.AccEcnField, { LABEL: 'accField' });
            this.SUBRULE5(this.intValue, { LABEL: 'accValue' });
          });
        },
      },
      { ALT: () => this.SUBRULE(this.mptcpOption) },
    ]);
  });

  public sackBlock = this.RULE('sackBlock', () => {
    this.SUBRULE(this.intValue, { LABEL: 'left' });
    this.CONSUME(T.Colon);
    this.SUBRULE2(this.intValue, { LABEL: 'right' });
  });

  /** A Fast Open cookie or MD5 digest: hex digits, which lex as a word or an integer. */
  public cookie = this.RULE('cookie', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Word) },
      { ALT: () => this.CONSUME(T.Int) },
      { ALT: () => this.CONSUME(T.Hex) },
    ]);
  });

  public intValue = this.RULE('intValue', () => {
    this.OR([{ ALT: () => this.CONSUME(T.Int) }, { ALT: () => this.CONSUME(T.Hex) }]);
  });

  public udpBody = this.RULE('udpBody', () => {
    this.CONSUME(K.udp);
    this.OPTION(() => this.SUBRULE(this.tuple));
    this.CONSUME(T.LParen);
    this.SUBRULE(this.intValue, { LABEL: 'length' });
    this.CONSUME(T.RParen);
  });

  public icmpBody = this.RULE('icmpBody', () => {
    this.CONSUME(K.icmp);
    this.OR([
      { ALT: () => this.CONSUME(T.Word, { LABEL: 'type' }) },
      { ALT: () => this.CONSUME(T.Int, { LABEL: 'type' }) },
    ]);
    this.OPTION({
      GATE: () => !tokenIs(this.LA(1), K.mtu) && !tokenIs(this.LA(1), K.id),
      DEF: () =>
        this.OR2([
          { ALT: () => this.CONSUME2(T.Word, { LABEL: 'code' }) },
          { ALT: () => this.CONSUME2(T.Int, { LABEL: 'code' }) },
        ]),
    });
    this.MANY(() => {
      this.OR3([
        { ALT: () => { this.CONSUME(K.mtu, { LABEL: 'field' }); this.SUBRULE(this.intValue, { LABEL: 'mtu' }); } },
        { ALT: () => { this.CONSUME(K.id, { LABEL: 'field' }); this.SUBRULE2(this.intValue, { LABEL: 'id' }); } },
        { ALT: () => this.SUBRULE(this.icmpEchoed) },
      ]);
    });
  });

  /** The quoted packet: `[1:1461(1460)]`, `[seq 1]`, `[udp (100)]`, `[raw (100)]`. */
  public icmpEchoed = this.RULE('icmpEchoed', () => {
    this.CONSUME(T.LBracket);
    this.OR([
      { ALT: () => { this.CONSUME(K.udp, { LABEL: 'kind' }); this.CONSUME(T.LParen); this.SUBRULE(this.intValue, { LABEL: 'length' }); this.CONSUME(T.RParen); } },
      { ALT: () => { this.CONSUME(K.raw, { LABEL: 'kind' }); this.CONSUME2(T.LParen); this.SUBRULE2(this.intValue, { LABEL: 'length' }); this.CONSUME2(T.RParen); } },
      { ALT: () => { this.CONSUME(K.seq, { LABEL: 'kind' }); this.SUBRULE3(this.intValue, { LABEL: 'start' }); } },
      { ALT: () => this.SUBRULE(this.seqRange) },
    ]);
    this.CONSUME(T.RBracket);
  });

  /** [ext] `(bad_csum)`. */
  public badChecksum = this.RULE('badChecksum', () => {
    this.CONSUME(T.LParen);
    this.CONSUME(K.bad_csum);
    this.CONSUME(T.RParen);
  });

  // ---- MPTCP options [mptcp] -----------------------------------------------------------------

  public mptcpOption = this.RULE('mptcpOption', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.mpCapable) },
      { ALT: () => this.SUBRULE(this.legacyMpCapable) },
      { ALT: () => this.SUBRULE(this.mpJoin) },
      { ALT: () => this.SUBRULE(this.dss) },
      { ALT: () => this.SUBRULE(this.addAddress) },
      { ALT: () => this.SUBRULE(this.removeAddress) },
      { ALT: () => this.SUBRULE(this.mpPrio) },
      { ALT: () => this.SUBRULE(this.mpFail) },
      { ALT: () => this.SUBRULE(this.mpFastclose) },
      { ALT: () => this.SUBRULE(this.mpReset) },
    ]);
  });

  public mpCapable = this.RULE('mpCapable', () => {
    this.CONSUME(K.mpcapable);
    this.OR([
      { ALT: () => this.CONSUME(K.v0, { LABEL: 'version' }) },
      { ALT: () => this.CONSUME(K.v1, { LABEL: 'version' }) },
      { ALT: () => this.CONSUME(K.none, { LABEL: 'version' }) },
    ]);
    this.SUBRULE(this.mptcpFlags);
    this.OR2([
      { ALT: () => this.CONSUME(K.nokey) },
      {
        ALT: () => {
          this.CONSUME(K.key);
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.keyValue, { LABEL: 'keys' });
          this.OPTION(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.keyValue, { LABEL: 'keys' });
          });
          this.CONSUME(T.RBracket);
        },
      },
    ]);
    this.OPTION2(() => {
      this.CONSUME(K.mpcdatalen);
      this.SUBRULE(this.intValue, { LABEL: 'dataLen' });
      this.OPTION3(() => {
        this.CONSUME(K.cksum);
        this.CONSUME(T.Equals);
        this.SUBRULE2(this.intValue, { LABEL: 'checksum' });
      });
    });
  });

  /** `flags[flag_a, flag_h]` or `flags 0x81`. */
  public mptcpFlags = this.RULE('mptcpFlags', () => {
    this.CONSUME(K.flags);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.CONSUME(T.MptcpFlag, { LABEL: 'names' }) });
          this.CONSUME(T.RBracket);
        },
      },
      { ALT: () => this.SUBRULE(this.intValue) },
    ]);
  });

  /** `NAME` or `NAME=VALUE`. */
  public keyValue = this.RULE('keyValue', () => {
    this.CONSUME(T.Word, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.intValue);
    });
  });

  /** Pre-RFC spelling: `mp_capable K1 [K2] [flag_a] ... [no_flags]`. */
  public legacyMpCapable = this.RULE('legacyMpCapable', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.mp_capable, { LABEL: 'spelling' }) },
      { ALT: () => this.CONSUME(K.mp_capable_no_cs, { LABEL: 'spelling' }) },
    ]);
    this.MANY({ GATE: () => this.isKeyName(), DEF: () => this.SUBRULE(this.keyValue, { LABEL: 'keys' }) });
    this.MANY2(() => this.CONSUME(T.MptcpFlag, { LABEL: 'names' }));
  });

  /** `mp_join_syn`, `mp_join_syn_ack`, `mp_join_ack` with their fields in any order. */
  public mpJoin = this.RULE('mpJoin', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.mp_join_syn, { LABEL: 'step' }) },
      { ALT: () => this.CONSUME(K.mp_join_syn_ack, { LABEL: 'step' }) },
      { ALT: () => this.CONSUME(K.mp_join_ack, { LABEL: 'step' }) },
    ]);
    this.MANY(() => this.SUBRULE(this.joinField, { LABEL: 'fields' }));
  });

  public joinField = this.RULE('joinField', () => {
    this.OR([
      { ALT: () => { this.CONSUME(K.backup, { LABEL: 'field' }); this.CONSUME(T.Equals); this.SUBRULE(this.intValue); } },
      { ALT: () => this.SUBRULE(this.addressId) },
      { ALT: () => { this.CONSUME(K.token, { LABEL: 'field' }); this.CONSUME2(T.Equals); this.SUBRULE(this.tokenValue); } },
      { ALT: () => { this.CONSUME(K.sender_hmac, { LABEL: 'field' }); this.CONSUME3(T.Equals); this.SUBRULE(this.hmacValue); } },
      { ALT: () => { this.CONSUME(K.rand, { LABEL: 'field' }); this.CONSUME4(T.Equals); this.SUBRULE2(this.intValue); } },
    ]);
  });

  /** `address_id=ID` or `address_id=auto`. */
  public addressId = this.RULE('addressId', () => {
    this.CONSUME(K.address_id);
    this.CONSUME(T.Equals);
    this.OR([{ ALT: () => this.SUBRULE(this.intValue) }, { ALT: () => this.CONSUME(K.auto) }]);
  });

  public tokenValue = this.RULE('tokenValue', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.intValue) },
      { ALT: () => this.CONSUME(K.auto) },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(K.sha1_32, { LABEL: 'hash' }) },
            { ALT: () => this.CONSUME(K.sha256_32, { LABEL: 'hash' }) },
          ]);
          this.CONSUME(T.LParen);
          this.CONSUME(T.Word, { LABEL: 'name' });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  public hmacValue = this.RULE('hmacValue', () => {
    this.OR([
      { ALT: () => this.CONSUME(K.auto) },
      { ALT: () => this.SUBRULE(this.intValue) },
      {
        ALT: () => {
          this.CONSUME(K.trunc_l64_hmac, { LABEL: 'form' });
          this.CONSUME(T.LParen);
          this.OR2([
            { ALT: () => this.SUBRULE2(this.intValue, { LABEL: 'literal' }) },
            {
              ALT: () => {
                this.CONSUME(T.Word, { LABEL: 'names' });
                this.CONSUME2(T.Word, { LABEL: 'names' });
              },
            },
          ]);
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.full_160_hmac, { LABEL: 'form' });
          this.CONSUME2(T.LParen);
          this.CONSUME3(T.Word, { LABEL: 'names' });
          this.CONSUME4(T.Word, { LABEL: 'names' });
          this.CONSUME2(T.RParen);
        },
      },
    ]);
  });

  public dss = this.RULE('dss', () => {
    this.CONSUME(K.dss);
    this.MANY(() => this.SUBRULE(this.dssField, { LABEL: 'fields' }));
  });

  public dssField = this.RULE('dssField', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.seqField) },
      { ALT: () => { this.CONSUME(K.ssn, { LABEL: 'field' }); this.CONSUME(T.Equals); this.SUBRULE(this.intValue); } },
      { ALT: () => { this.CONSUME(K.dll, { LABEL: 'field' }); this.CONSUME2(T.Equals); this.SUBRULE2(this.intValue); } },
      { ALT: () => { this.CONSUME(K.cksum, { LABEL: 'field' }); this.CONSUME3(T.Equals); this.SUBRULE3(this.intValue); } },
      { ALT: () => this.CONSUME(K.nocs, { LABEL: 'field' }) },
      { ALT: () => this.CONSUME(K.fin, { LABEL: 'field' }) },
    ]);
  });

  /** `dack4[=V]`, `dack8[=V]`, `dsn4[=V]`, `dsn8[=V]`. */
  public seqField = this.RULE('seqField', () => {
    this.OR([
      { ALT: () => this.CONSUME(T.DackKw, { LABEL: 'field' }) },
      { ALT: () => this.CONSUME(T.DsnKw, { LABEL: 'field' }) },
    ]);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.seqValue);
    });
  });

  public seqValue = this.RULE('seqValue', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.intValue, { LABEL: 'literal' }) },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(K.trunc_r64_hmac_sha1, { LABEL: 'helper' }) },
            { ALT: () => this.CONSUME(K.trunc_r64_hmac_sha256, { LABEL: 'helper' }) },
          ]);
          this.CONSUME(T.LParen);
          this.SUBRULE2(this.intValue, { LABEL: 'key' });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(K.trunc_r64_hmac, { LABEL: 'helper' });
          this.CONSUME2(T.LParen);
          this.CONSUME(T.Word, { LABEL: 'name' });
          this.CONSUME2(T.RParen);
          this.OPTION(() => {
            this.CONSUME(T.Plus);
            this.SUBRULE3(this.intValue, { LABEL: 'plus' });
          });
        },
      },
    ]);
  });

  public addAddress = this.RULE('addAddress', () => {
    this.CONSUME(K.add_address);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.SUBRULE(this.addressId) },
        { ALT: () => this.SUBRULE(this.addressRef) },
        { ALT: () => { this.CONSUME(K.port, { LABEL: 'field' }); this.CONSUME(T.Equals); this.SUBRULE(this.intValue, { LABEL: 'port' }); } },
        { ALT: () => this.CONSUME(K.addr_echo, { LABEL: 'field' }) },
        {
          ALT: () => {
            this.CONSUME(K.hmac, { LABEL: 'field' });
            this.CONSUME2(T.Equals);
            this.OR2([
              { ALT: () => this.SUBRULE2(this.intValue, { LABEL: 'hmac' }) },
              { ALT: () => this.CONSUME(K.auto) },
            ]);
          },
        },
      ]);
    });
  });

  /** `addr[NAME]`, `addr[NAME=inet_addr("A4")]`, `addr[NAME=inet6_addr("A6")]`. */
  public addressRef = this.RULE('addressRef', () => {
    this.CONSUME(K.addr);
    this.CONSUME(T.LBracket);
    this.CONSUME(T.Word, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.OR([
        { ALT: () => this.CONSUME(K.inet_addr, { LABEL: 'family' }) },
        { ALT: () => this.CONSUME(K.inet6_addr, { LABEL: 'family' }) },
      ]);
      this.CONSUME(T.LParen);
      this.CONSUME(T.StringLit);
      this.CONSUME(T.RParen);
    });
    this.CONSUME(T.RBracket);
  });

  public removeAddress = this.RULE('removeAddress', () => {
    this.CONSUME(K.remove_address);
    this.CONSUME(K.address_id);
    this.CONSUME(T.Equals);
    this.CONSUME(T.LBracket);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.intValue, { LABEL: 'ids' }) });
    this.CONSUME(T.RBracket);
  });

  public mpPrio = this.RULE('mpPrio', () => {
    this.CONSUME(K.mp_prio);
    this.MANY(() => {
      this.OR([
        { ALT: () => { this.CONSUME(K.backup); this.CONSUME(T.Equals); this.SUBRULE(this.intValue, { LABEL: 'backup' }); } },
        { ALT: () => this.SUBRULE(this.addressId) },
      ]);
    });
  });

  public mpFail = this.RULE('mpFail', () => {
    this.CONSUME(K.mp_fail);
    this.OPTION(() => this.SUBRULE(this.seqField));
  });

  public mpFastclose = this.RULE('mpFastclose', () => {
    this.CONSUME(K.mp_fastclose);
    this.OPTION(() => this.SUBRULE(this.keyValue));
    this.OPTION2(() => {
      this.CONSUME(T.Plus);
      this.SUBRULE(this.intValue, { LABEL: 'plus' });
    });
  });

  public mpReset = this.RULE('mpReset', () => {
    this.CONSUME(K.mp_reset);
    this.SUBRULE(this.intValue, { LABEL: 'reason' });
    this.OPTION(() => this.SUBRULE(this.mptcpFlags));
  });
}

/** Whether `token` is of `type` or of a type in its categories. */
export function tokenIs(token: IToken, type: TokenType): boolean {
  return tokenMatcher(token, type);
}

/** The one parser of the process: Chevrotain parsers are costly to build and reusable. */
export const pktParser = new PktParser(storedAnalysisJson === undefined ? undefined : (JSON.parse(storedAnalysisJson) as GrammarAnalysis));
