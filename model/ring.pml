/*
 * model/ring.pml - Promela model of the shmcat ring protocol: src/ring.c,
 * src/wait.c, src/reader.c, src/record.c.  model/README.md says what is
 * modelled and why; model/check runs it.
 *
 * Configurations (-DCFG=n):
 *
 *   1 SPSC    one bytes writer and the default reader (slot 0)
 *   2 FANOUT  one bytes writer, the default reader, and a second reader
 *             that joins at any moment through place_cursor() (slot 1)
 *   3 TAP     one bytes writer, the default reader and a tap (slot 2)
 *   4 REC     two record writers sharing the commit lock, either of which
 *             may die at any step, and the default reader
 *
 * Granularity: every step (a Promela statement, or an atomic/d_step
 * block) makes at most one access to shared memory (a load, a store, an
 * RMW, a semaphore or lock operation), plus local computation.  Spin runs
 * the steps of all processes in every possible order: a sequentially
 * consistent machine.  README.md explains why that is sound for this
 * code (the seq_cst fences) and where it is not (WEAK_R, WEAK_W below).
 * The few places that merge more than one access into a step say why
 * that loses no behaviour.
 *
 * Data: positions are free-running byte counts as in the C code (the
 * streams are short, so they never wrap).  Each data slot holds the
 * position of the byte stored in it (dpos); a reader that delivers byte
 * q asserts dpos[q % CAP] == q, which is "committed, not overwritten,
 * in order, exactly once" in one check.  Record writers also store a tag
 * (writer, record number, byte in record) in dtag.
 *
 * Switches: -DMUT=n a deliberate mutation (README.md lists them; every
 * one must make Spin report an error); -DWEAK_R, -DWEAK_W the reorderings
 * C11 would allow in the sleepers without their fences;
 * -DIDEAL_RWAIT readers sleep on an oracle (until there is data or the
 * writer has gone) instead of the semaphore protocol, to keep the FANOUT
 * and TAP state spaces small; the SPSC and REC runs check the real one.
 * The bounds: -DCAP, -DNBYTES, -DNREC; -DMAXSLICES (see wait_data).
 */

#define SPSC	1
#define FANOUT	2
#define TAP	3
#define REC	4

#ifndef CFG
#define CFG SPSC
#endif
#ifndef CAP
#define CAP 2		/* ring capacity in bytes */
#endif
#ifndef NBYTES
#define NBYTES 5	/* length of a bytes stream */
#endif
#ifndef NREC
#define NREC 2		/* records per record writer (at most 2: see TAG) */
#endif
#define RECLEN 2	/* bytes per record */
#ifndef MUT
#define MUT 0
#endif
#ifndef MAXSLICES
#define MAXSLICES 1	/* slices a reader may need after a writer died */
#endif

#if CFG == REC
#define TOTAL (2 * NREC * RECLEN)
#else
#define TOTAL NBYTES
#endif

/* Only a tap can see a half-written chunk: elsewhere the writer stores a
 * chunk in one step (nobody may read it before tail moves, and the ghost
 * check in put() sees every overwrite at the moment it happens). */
#if CFG == TAP || CFG == REC
#define BYTEWISE
#endif

/* The slots the writer's scan visits: those that can hold a cursor that
 * counts for the floor in this configuration (a tap slot never does). */
#if CFG == FANOUT
#define NSCAN 2
#else
#define NSCAN 1
#endif
#define NSLOT 3
#define TAPSLOT 2

/* Slot kinds (shmcat_int.h) */
#define K_FREE		0
#define K_DEFAULT	1
#define K_ANON		3
#define K_TAP		4
#define counts(k)	((k) == K_DEFAULT || (k) == K_ANON)

#define F_EOF 1		/* STREAM_EOF */

/* end_of_stream() results */
#define MORE		0
#define EOS_EOF		1
#define EOS_DIED	2

#define TAG(w, k, b)	((w) * 4 + (k) * 2 + (b))

/* ------------------------------------------------------------------ */
/* Shared memory (struct shared)                                      */

byte tail;			/* sh->tail */
byte reserve_end;		/* sh->reserve_end */
byte floor_hint;		/* sh->floor */
byte rpos[NSLOT];		/* sh->readers[i].pos */
byte kind[NSLOT];		/* sh->readers[i].kind */
byte readers_waiting;		/* bit i: the reader in slot i announced a sleep */
byte wake[NSLOT];		/* sh->readers[i].wake, a counting semaphore */
bool writer_waiting;
byte space;			/* sh->space, a counting semaphore */
byte wactive;			/* low half of writer_events: active writers */
byte flags;			/* stream_flags */
byte dpos[CAP];			/* data: the position of the byte in each slot */
byte dtag[CAP];			/* data: the record tag of the byte in each slot */

/* Kernel objects */
byte wlock;			/* holders of the LOCK_WRITER OFD lock */
byte commit_lock;		/* the robust mutex: 0 free, else owner + 1 */

/* Ghost state, only for the assertions */
bool settled[NSLOT];		/* the reader in slot i has placed its cursor */
bool wheld[2];			/* record writer w holds LOCK_WRITER */
bool dead[2];			/* record writer w died */
byte kill;			/* 0, or w + 1: the killer picked writer w */
byte slices;			/* sleep slices that ran out */

/* ------------------------------------------------------------------ */
/* Writer side                                                         */

/* One slot of reader_scan_min().  The kind load and the pos load are one
 * step: once a reader has set its kind its pos only grows, and when it
 * leaves (kind back to FREE) its pos stays put, so every (kind, pos) pair
 * the two loads can see existed at some instant between them.  check_distance() failing makes the writer
 * give up with -SHMCAT_ECORRUPT; nothing scribbles on the header in this
 * model, so that must never happen. */
inline scan_slot(jj, res)
{
	k = kind[jj];				/* seq_cst */
	if
	:: counts(k) ->
		x = rpos[jj];			/* acquire (B) */
		/* suggested fix: a cursor more than a ring behind is a
		 * reader still joining; it holds the whole ring until it
		 * moves up */
		if
		:: x < t && t - x > CAP -> x = t - CAP
		:: else
		fi;
		assert(x <= t && t - x <= CAP);	/* else a spurious ECORRUPT */
		if
		:: t - x > t - res -> res = x
		:: else
		fi
	:: else
	fi;
	k = 0;
	x = 0
}

inline scan(res)
{
	d_step { res = t; scan_slot(0, res) }
#if NSCAN > 1
	d_step { scan_slot(1, res) }
#endif
}

/* ring_floor() and the rest of shmcat_write_span()'s recomputation:
 * scan, store the hint (our own field: the load and the store are one
 * step), fence, scan again, limit = the lower scan + CAP, store
 * reserve_end, fence. */
inline recompute()
{
	scan(first);
	d_step {
		if
		:: first >= floor_hint && first - floor_hint <= CAP &&
		    first != floor_hint ->
			floor_hint = first	/* seq_cst */
		:: else
		fi
	}
	/* fence_full() */
#if MUT == 9
	second = first;				/* mutation: no second scan */
#else
	scan(second);
#endif
	d_step {
		if
		:: t - second > t - first -> lim = second + CAP
		:: else -> lim = first + CAP
		fi;
#if MUT == 5
		lim = t + CAP;			/* mutation: ignore the readers */
#endif
		first = 0;
		second = 0;
#if MUT != 12
		reserve_end = lim		/* relaxed, then fence_full() */
#endif
	}
}

/* Store byte q.  Ghost check first: every settled non-tap cursor has
 * consumed q - CAP, the byte this overwrites. */
inline put(q, tag)
{
	i = 0;
	do
	:: i < NSCAN ->
		if
		:: settled[i] && counts(kind[i]) -> assert(q < rpos[i] + CAP)
		:: else
		fi;
		i++
	:: else -> break
	od;
	i = 0;
	dpos[(q) % CAP] = q;
#if CFG == REC
	dtag[(q) % CAP] = tag
#else
	skip
#endif
}

/* wake_readers(): fence, a relaxed look at the flags, exchange, post.
 * The look and the exchange are one step: whatever the look saw, only
 * what the exchange returns is acted on. */
inline wake_readers()
{
	/* fence_full() (C) */
	d_step { bits = readers_waiting; readers_waiting = 0 }
	if
	:: bits != 0 ->
		d_step {
			i = 0;
			do
			:: i < NSLOT ->
				if
				:: bits & (1 << i) -> wake[i]++
				:: else
				fi;
				i++
			:: else -> break
			od;
			i = 0;
			bits = 0
		}
	:: else
	fi
}

/* has_space(): force a fresh floor. */
inline has_space()
{
	lim = t;
	recompute()
}

/* shmcat_wait_space(), the sleep being an indefinite sem_wait.  (The C
 * code also calls ring_floor() at the top of the loop, for its error
 * check only: has_space() repeats it at once.) */
inline wait_space()
{
	do
	:: has_space();
		if
		:: lim - t >= need -> break
		:: else
		fi;
#ifdef WEAK_W
		/* C11 lets the first scan's acquire loads of pos be
		 * satisfied before the seq_cst store of writer_waiting is
		 * visible: no fence between them.  The fence in ring_floor()
		 * orders only the second scan, and the floor is the lower of
		 * the two. */
		lim = t;
		scan(first);
		writer_waiting = 1;
		d_step {
			if
			:: first >= floor_hint && first - floor_hint <= CAP &&
			    first != floor_hint ->
				floor_hint = first
			:: else
			fi
		}
		scan(second);
		d_step {
			if
			:: t - second > t - first -> lim = second + CAP
			:: else -> lim = first + CAP
			fi;
			first = 0;
			second = 0;
			reserve_end = lim
		}
#else
#if MUT != 15
		writer_waiting = 1;		/* seq_cst (D) */
#endif
#if MUT != 3
		has_space();			/* the re-check */
#endif
#endif
		if
		:: lim - t >= need -> writer_waiting = 0; break
		:: else
		fi;
		atomic { space > 0 -> space-- };	/* sem_wait, no timeout */
		writer_waiting = 0
	od
}

/* Store the chunk [t, t + n) and commit it: shmcat_write_commit(). */
inline write_chunk(n, tag0)
{
#if MUT == 6
	tail = t + n;				/* mutation: publish first */
#endif
#ifdef BYTEWISE
	j = 0;
	do
	:: j < n -> d_step { put(t + j, tag0 + j); j++ }
	:: else -> break
	od;
	j = 0;
#else
	d_step {
		j = 0;
		do
		:: j < n -> put(t + j, tag0 + j); j++
		:: else -> break
		od;
		j = 0
	}
#endif
#if MUT == 12
	reserve_end = lim;			/* mutation: reservation too late */
#endif
	d_step { t = t + n; tail = t }		/* release (A) */
#if MUT != 2
	wake_readers()
#endif
}

/* A bytes writer: shmcat-in's copy_bytes() loop; read(2) returns any
 * number of bytes up to the free span; then writer_detach(SHMCAT_END). */
proctype Writer()
{
	byte t, lim, first, second, x, k, i, j, n, bits, ev;
	byte need = 1;

	{
	t = tail;
	lim = t;				/* writer_begin() */
	do
	:: t == NBYTES -> break
	:: else ->
		if
		:: lim - t < CAP / 2 -> recompute()	/* shmcat_write_span() */
		:: else
		fi;
		if
		:: lim > t ->
			atomic {
				n = 1;
				do
				:: n < lim - t && t + n < NBYTES -> n++
				:: break
				od
			}
			write_chunk(n, 0);
			n = 0
		:: else ->
			wait_space()
		fi
	od;
	/* writer_detach(SHMCAT_END) */
#if MUT == 18
	atomic { ev = wactive; wactive-- }	/* mutation: the count first */
#else
	ev = wactive;
#endif
	if
	:: ev == 1 -> flags = flags | F_EOF	/* the flag before the count */
	:: else
	fi;
#if MUT != 18
	wactive--;
#endif
	d_step { wlock--; wheld[0] = false }	/* lock_release(LOCK_WRITER) */
#if MUT != 8
	wake_readers()
#endif
	} unless {
		kill == 1 ->
		d_step {
			dead[0] = true;
			if
			:: wheld[0] -> wlock--; wheld[0] = false
			:: else
			fi
		}
	}
}

/* commit_lock() of record.c; EOWNERDEAD (a holder died) needs nothing
 * more than marking the mutex consistent: tail moves only after a whole
 * record is in place. */
inline commit_lock_take()
{
	atomic { commit_lock == 0 -> commit_lock = w + 1 }
}

/* A record writer: shmcat_write_record() per record, then
 * writer_detach(SHMCAT_END).  It may die at any step; the kernel then
 * drops its LOCK_WRITER and the robust mutex (the next locker gets
 * EOWNERDEAD and goes on), and writer_events keeps counting it. */
proctype RecWriter(byte w)
{
	byte t, lim, first, second, x, k, i, j, bits, ev, rec;
	byte need = 1;

	{
		do
		:: rec < NREC ->
#if MUT != 13
			commit_lock_take();
#endif
			t = tail;
			lim = t;		/* writer_begin() */
			need = RECLEN;
			do
			:: lim - t < CAP / 2 ->
				recompute();	/* shmcat_write_span() */
				if
				:: lim - t >= RECLEN -> break
				:: else -> wait_space()
				fi
			:: else ->
				if
				:: lim - t >= RECLEN -> break
				:: else -> wait_space()
				fi
			od;
#if MUT == 14
			/* mutation: commit byte by byte */
			write_chunk(1, TAG(w, rec, 0));
			write_chunk(1, TAG(w, rec, 1));
#else
			write_chunk(RECLEN, TAG(w, rec, 0));
#endif
			need = 1;
#if MUT != 13
			commit_lock = 0;
#endif
			rec++
		:: else -> break
		od;
		/* writer_detach(SHMCAT_END) */
		commit_lock_take();
		ev = wactive;
		if
		:: ev == 1 -> flags = flags | F_EOF
		:: else
		fi;
		wactive--;
		commit_lock = 0;
		d_step { wlock--; wheld[w] = false }
		wake_readers()
	} unless {
		kill == w + 1 ->
		d_step {
			dead[w] = true;
#if MUT != 16
			if
			:: commit_lock == w + 1 -> commit_lock = 0
			:: else
			fi;
#endif
			if
			:: wheld[w] -> wlock--; wheld[w] = false
			:: else
			fi
		}
	}
}

/* Kills at most one writer, at any moment. */
proctype Killer()
{
	if
	:: kill = 1
#if CFG == REC
	:: kill = 2
#endif
	:: skip
	fi
}

/* ------------------------------------------------------------------ */
/* Reader side                                                         */

/* end_of_stream(): writers_state() (the count, the lock, the count
 * again, until the two counts agree), then the flags.  In FANOUT and TAP
 * it is one step: it is checked as written in SPSC and REC, and it only
 * ever returns a consistent (count, lock, flags) snapshot. */
inline end_of_stream(res)
{
#if CFG == FANOUT || CFG == TAP
	d_step {
		if
		:: wlock > 0 -> res = MORE
		:: else ->
			if
			:: wactive != 0 -> res = EOS_DIED
			:: wactive == 0 && (flags & F_EOF) -> res = EOS_EOF
			:: else -> res = MORE
			fi
		fi
	}
#else
	do
	:: ev = wactive;			/* seq_cst */
		held = (wlock > 0);		/* lock_held_by_other() */
		atomic {
			ev2 = wactive;
			if
			:: ev == ev2 -> ev2 = 0; break
			:: else -> ev2 = 0
			fi
		}
	od;
	if
	:: held -> res = MORE
	:: !held && ev != 0 -> res = EOS_DIED
	:: !held && ev == 0 ->
		d_step {
			if
			:: flags & F_EOF -> res = EOS_EOF
			:: else -> res = MORE	/* --keep-open writers */
			fi
		}
	fi;
	ev = 0;
	held = false
#endif
}

/* peek(): a load of tail, and I1 for a non-tap cursor. */
inline peek()
{
	d_step {
		t = tail;			/* acquire (A) */
		if
		:: s == TAPSLOT -> assert(t >= p)
		:: else -> assert(t >= p && t - p <= CAP)	/* else ECORRUPT */
		fi
	}
}

/* shmcat_wait_data(), the sleep being an indefinite sem_wait.  Slices
 * (SLICE_MS) may run out too, but only after a writer died, and only
 * MAXSLICES times in all: noticing a death is what they are for.  (A
 * writer can die after storing tail and before posting, or after taking
 * the readers' bits with its exchange and before posting; then the
 * sleeper needs one slice even though other writers live on.)  Without a
 * death, every sleep must end with a post. */
inline wait_data(res)
{
#ifdef IDEAL_RWAIT
	do
	:: peek();
		if
		:: t != p -> res = MORE; break
		:: else
		fi;
		end_of_stream(eos);
		if
		:: eos != MORE ->
			peek();
			if
			:: t != p -> skip
			:: else -> res = eos; break
			fi
		:: else ->
			/* an oracle sleep: until there is data or the writer
			 * has gone, as the real protocol (checked in SPSC and
			 * REC) guarantees */
			(tail != p || wlock == 0)
		fi
	od;
#else
	do
	:: peek();
		if
		:: t != p -> res = MORE; break
		:: else
		fi;
		end_of_stream(eos);
		if
		:: eos != MORE ->
#if MUT == 7
			res = eos; break	/* mutation: no second look */
#else
			peek();
			if
			:: t != p -> skip
			:: else -> res = eos; break
			fi
#endif
		:: else ->
#ifdef WEAK_R
			/* C11 lets the acquire load of tail be satisfied
			 * before the seq_cst fetch_or is visible */
			peek();
			readers_waiting = readers_waiting | (1 << s);
#else
			readers_waiting = readers_waiting | (1 << s);	/* (C) */
#if MUT != 1
			peek();			/* the re-check */
#endif
#endif
			if
			:: t != p ->
				readers_waiting = readers_waiting & ~(1 << s)
			:: else ->
				end_of_stream(eos);
				if
				:: eos != MORE ->
					readers_waiting = readers_waiting & ~(1 << s)
				:: else ->
					if
					:: atomic { wake[s] > 0 -> wake[s]-- }
					:: atomic {
						(dead[0] || dead[1]) &&
						    slices < MAXSLICES ->
						slices++	/* a slice ran out */
					   }
					fi;
					readers_waiting = readers_waiting & ~(1 << s)
				fi
			fi
		fi
	od;
#endif
	eos = 0
}

/* An unconditional wake_writer(): fence, a look at the flag, exchange,
 * post (the look and the exchange in one step, as in wake_readers()).
 * The C code no longer has one (commit 60a7ede made every reader wake
 * go through wake_writer_if_room()); the suggested fixes use it. */
inline wake_writer()
{
	/* fence_full() (D) */
	d_step { x = writer_waiting; writer_waiting = 0 }
	if
	:: x -> space++
	:: else
	fi;
	x = 0
}

/* wake_writer_if_room() after a commit (shmcat_read_commit()): post only
 * once our own backlog, counted against the tail our read_span() loaded
 * (t), is at most half the ring.  The look at the flag and the exchange
 * are one step as above; the backlog test is local. */
inline wake_writer_if_room()
{
	/* fence_full() (D) */
	d_step {
		if
		:: writer_waiting && t - p <= CAP / 2 ->
			x = 1;
			writer_waiting = 0
		:: else -> x = 0
		fi
	}
	if
	:: x -> space++
	:: else
	fi;
	x = 0
}

/* Byte q delivered: it must be the byte at position q, and in record
 * mode it must continue a whole record, each writer's in order. */
inline deliver(q)
{
	assert(dpos[(q) % CAP] == q);
#if CFG == REC
	x = dtag[(q) % CAP];
	if
	:: (q) % 2 == 0 ->
		assert(x % 2 == 0 && (x / 2) % 2 == nextk[x / 4]);
		cur = x
	:: else ->
		assert(x == cur + 1);
		nextk[x / 4]++
	fi;
	x = 0
#endif
}

/* place_cursor() for a new anonymous reader in slot s. */
inline place_cursor()
{
	if
	:: start = floor_hint			/* the default: oldest byte */
	:: start = tail				/* SHMCAT_O_NEW */
	fi;
	rpos[s] = start;
	kind[s] = K_ANON;			/* seq_cst */
#if MUT != 10
	do
	:: fl = floor_hint;			/* seq_cst */
		if
		:: fl <= start -> break		/* (int64_t)(floor - start) <= 0 */
		:: else -> start = fl; rpos[s] = start
		fi
	od;
#endif
	wake_writer();
	p = start;
	d_step { settled[s] = true; start = 0; fl = 0 }
}

/* resume_slot() of slot 0, at any moment: resume at its cursor, or with
 * --new (SHMCAT_O_NEW) skip what it kept: move it to tail. */
inline resume_default()
{
	if
	:: p = rpos[s]
	:: t = tail;
		rpos[s] = t;			/* release */
		p = t;
		wake_writer();
		t = 0
	fi
}

/* A non-tap reader: shmcat-out's copy_out() loop; write(2) takes any
 * number of the available bytes. */
proctype Reader(byte s)
{
	byte p, t, n, j, x, ev, ev2, eos, res, start, fl, cur;
	bool held;
	byte nextk[2];

#if CFG == FANOUT
	if
	:: s != 0 -> place_cursor()
	:: else -> resume_default()
	fi;
#elif CFG == SPSC
	resume_default();
#else
	p = rpos[s];
#endif
	do
#if CFG == FANOUT
	:: s == 1 ->
		/* reader_detach() of an anonymous reader: its cursor stops
		 * holding the writer back */
		d_step { kind[s] = K_FREE; settled[s] = false }
#if MUT != 19
		writer_waiting = 0;
		space++;
#endif
		break
#endif
	:: atomic {
		peek();				/* shmcat_read_span() */
#if CFG == REC
		assert(t % RECLEN == 0);	/* tail is on a record boundary */
#endif
		if
		:: t != p ->
			n = 1;
			do
			:: n < t - p -> n++
			:: break
			od
		:: else -> n = 0
		fi
	   }
		if
		:: n > 0 ->
#if MUT == 11
			rpos[s] = p + n;	/* mutation: commit before copy */
#endif
			d_step {
				j = 0;
				do
				:: j < n -> deliver(p + j); j++
				:: else -> break
				od;
				j = 0
			}
			d_step { p = p + n; rpos[s] = p; n = 0 }	/* release (B) */
#if MUT != 4
			wake_writer_if_room()
#endif
		:: else ->
			wait_data(res);
			if
			:: res == EOS_EOF ->
				/* a clean end: every byte, in order, delivered */
				assert(p == TOTAL);
#if CFG == REC
				assert(nextk[0] == NREC && nextk[1] == NREC);
#endif
				break
			:: res == EOS_DIED ->
				/* truncated: a writer died; everything committed,
				 * and everything the live writers wrote, delivered */
				assert(dead[0] || dead[1]);
				assert(p == tail);
#if CFG == REC
				assert(dead[0] || nextk[0] == NREC);
				assert(dead[1] || nextk[1] == NREC);
#endif
				break
			:: else
			fi
		fi
	od
}

/* The tap: shmcat_tap_read() in copy_tap()'s loop.  It copies, then
 * validates against reserve_end; it outputs only validated bytes, each
 * of which must be the byte it stands for. */
proctype Tap()
{
	byte s = TAPSLOT;
	byte p, t, j, ev, ev2, eos, res, cnt, drop;
	short oldest;
	bool held;
	byte buf[CAP];

	if					/* place_cursor(), SLOT_TAP */
	:: p = floor_hint
	:: p = tail				/* SHMCAT_O_NEW */
	fi;
	kind[s] = K_TAP;			/* (its pos is for inspection only) */
	do
	:: t = tail;				/* acquire */
		d_step {
			oldest = reserve_end - CAP;	/* relaxed */
			if
			:: oldest > p && t >= oldest -> p = oldest	/* skip */
			:: else
			fi;
			oldest = 0
		}
		if
		:: t > p ->
			atomic {
				cnt = 1;
				do
				:: cnt < t - p && cnt < CAP -> cnt++
				:: break
				od
			}
			j = 0;
			do
			:: j < cnt -> d_step { buf[j] = dpos[(p + j) % CAP]; j++ }
			:: else -> break
			od;
			j = 0;
			/* fence_acquire() */
#if MUT == 17
			drop = 0;		/* mutation: no validation */
#else
			d_step {
				oldest = reserve_end - CAP;
				if
				:: oldest > p ->
					if
					:: oldest - p < cnt -> drop = oldest - p
					:: else -> drop = cnt
					fi
				:: else -> drop = 0
				fi;
				oldest = 0
			}
#endif
			d_step {
				j = drop;
				do
				:: j < cnt -> assert(buf[j] == p + j); j++
				:: else -> break
				od;
				p = p + cnt;
				j = 0;
				cnt = 0;
				drop = 0;
				buf[0] = 0;
				buf[1] = 0
			}
		:: else ->
			wait_data(res);
			if
			:: res == EOS_EOF -> assert(p == TOTAL); break
			:: else -> assert(res == MORE)
			fi
		fi
	od
}

init
{
	atomic {
		kind[0] = K_DEFAULT;
		settled[0] = true;
#if CFG == REC
		wactive = 2;
		wlock = 2;
		wheld[0] = true;
		wheld[1] = true;
		run RecWriter(0);
		run RecWriter(1);
		run Killer();
#else
		wactive = 1;
		wlock = 1;
		wheld[0] = true;
		run Writer();
#if CFG == SPSC
		run Killer();
#endif
#endif
		run Reader(0);
#if CFG == FANOUT
		run Reader(1);
#endif
#if CFG == TAP
		run Tap();
#endif
	}
}
