// Architectures berth can filter on an x86_64 host, and the OCI names it understands.
import { SYSCALLS_X86 } from "./syscalls-x86.ts";
import { SYSCALLS_X86_64 } from "./syscalls-x86_64.ts";
import { SYSCALLS_X32 } from "./syscalls-x32.ts";

// AUDIT_ARCH_* values as seen in seccomp_data.arch (linux/audit.h).
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
/** x32 syscalls arrive with AUDIT_ARCH_X86_64 and this bit set in nr. */
export const X32_SYSCALL_BIT = 0x40000000;

export type ArchName = "SCMP_ARCH_X86_64" | "SCMP_ARCH_X86" | "SCMP_ARCH_X32";

export interface ArchDef {
  name: ArchName;
  audit: number;
  /** libseccomp compares only the low 32 bits of arguments on 32-bit ABIs (x86, x32). */
  argBits: 32 | 64;
  syscalls: ReadonlyMap<string, number>;
}

export const ARCHES: Record<ArchName, ArchDef> = {
  SCMP_ARCH_X86_64: { name: "SCMP_ARCH_X86_64", audit: AUDIT_ARCH_X86_64, argBits: 64, syscalls: SYSCALLS_X86_64 },
  SCMP_ARCH_X86: { name: "SCMP_ARCH_X86", audit: AUDIT_ARCH_I386, argBits: 32, syscalls: SYSCALLS_X86 },
  SCMP_ARCH_X32: { name: "SCMP_ARCH_X32", audit: AUDIT_ARCH_X86_64, argBits: 32, syscalls: SYSCALLS_X32 },
};

export const NATIVE_ARCH: ArchName = "SCMP_ARCH_X86_64";

/**
 * Valid OCI arch names for other CPUs. The x86_64 kernel never reports their AUDIT_ARCH
 * values, so a profile listing them (e.g. a multi-arch hand-written one) loses nothing
 * when they are dropped.
 */
export const FOREIGN_ARCHES: ReadonlySet<string> = new Set([
  "SCMP_ARCH_ARM", "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64", "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
]);

export function isArchName(s: string): s is ArchName {
  return Object.hasOwn(ARCHES, s);
}
