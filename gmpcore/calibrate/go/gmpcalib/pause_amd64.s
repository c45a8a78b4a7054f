#include "textflag.h"

// func procyield30(batches int): batches x procyield(30), the loop of runtime·procyieldAsm
// (asm_amd64.s) with cycles = 30, which is what sync.Mutex's runtime_doSpin runs
// (proc.go internal_sync_runtime_doSpin: procyield(active_spin_cnt)).
TEXT ·procyield30(SB),NOSPLIT,$0-8
	MOVQ	batches+0(FP), BX
	TESTQ	BX, BX
	JZ	done
loop:
	MOVL	$30, AX
again:
	PAUSE
	SUBL	$1, AX
	JNZ	again
	SUBQ	$1, BX
	JNZ	loop
done:
	RET
