/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* qemu-domain-tune.c: <memoryBacking>, <iothreads>, <iothreadids>, <cputune> */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "macro.h"
#include "qemu-domain-internal.h"

VK_DOMAIN_ENUM_IMPL(vk_mem_source, VkMemSource, _VK_MEM_SOURCE_MAX, NULL, "file", "anonymous",
                    "memfd")
VK_DOMAIN_ENUM_IMPL(vk_mem_allocation, VkMemAllocation, _VK_MEM_ALLOCATION_MAX, NULL, "immediate",
                    "ondemand")
VK_DOMAIN_ENUM_IMPL(vk_sched_policy, VkSchedPolicy, _VK_SCHED_POLICY_MAX, NULL, "batch", "idle",
                    "fifo", "rr")

#define TUNE_IOTHREADS_MAX 4096 /* what a client can make us create */
#define TUNE_PINS_MAX      4096

/* Whether @node is one of the elements of this file. */
bool vk_domain_tune_element(const xmlNode *node) {
        return vk_xml_node_is(node, NULL, "memoryBacking") ||
               vk_xml_node_is(node, NULL, "iothreads") ||
               vk_xml_node_is(node, NULL, "iothreadids") || vk_xml_node_is(node, NULL, "cputune");
}

/* ---- <memoryBacking> -------------------------------------------------------------------- */

/* <hugepages>[<page size= [unit=]/>]</hugepages>: one page size for all of the guest's RAM */
static int tune_parse_hugepages(VkMemoryBacking *mb, xmlNode *node, VkError *reterr) {
        xmlNode *page;
        unsigned long long size, scale = 1024;
        g_autofree char *unit = NULL;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("page"), reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, VK_STRV("page"), reterr);
        if (r < 0)
                return r;
        mb->hugepages = true;
        page = vk_xml_child(node, "page");
        if (!page)
                return 0;
        r = vk_xml_check_node(page, VK_STRV("size", "unit", "nodeset"), VK_XML_NONE, reterr);
        if (r < 0)
                return r;
        if (xmlHasProp(page, (const xmlChar *) "nodeset"))
                return vk_xml_error(page, "nodeset", reterr,
                                    "page sizes per NUMA node are not supported: give one page "
                                    "size for all of the guest's memory");
        r = vk_xml_prop_ulong(page, "size", VK_XML_REQUIRED | VK_XML_NONZERO, &size, reterr);
        if (r < 0)
                return r;
        r = vk_xml_prop_string(page, "unit", 0, &unit, reterr);
        if (r < 0)
                return r;
        if (unit && vk_domain_memory_unit(unit, &scale) < 0)
                return vk_xml_error(page, "unit", reterr, "unsupported unit '%s'", unit);
        if (size > (1ULL << 40) / scale)
                return vk_xml_error(page, "size", reterr, "value too large");
        size = size * scale / 1024;
        if ((size & (size - 1)) != 0 || size < 4 || size > 16ULL * 1024 * 1024)
                return vk_xml_error(page, "size", reterr,
                                    "%llu KiB is not a page size (a power of 2, 4 KiB to 16 GiB)",
                                    size);
        mb->hugepage_kib = size;
        return 0;
}

/*
 *   <memoryBacking>
 *     <hugepages/> <nosharepages/> <locked/> <source type='memfd'/> <access mode='shared'/>
 *     <allocation mode='immediate' threads='4'/> <discard/>
 *   </memoryBacking>
 */
static int tune_parse_memory_backing(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        static const char *const children[] = { "hugepages", "nosharepages", "locked",  "source",
                                                "access",    "allocation",   "discard", NULL };
        VkMemoryBacking *mb = &def->memory_backing;
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, children, reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, children, reterr);
        if (r < 0)
                return r;
        mb->present = true;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                if (vk_xml_node_is(c, NULL, "hugepages"))
                        r = tune_parse_hugepages(mb, c, reterr);
                else if (vk_xml_node_is(c, NULL, "source")) {
                        r = vk_xml_check_node(c, VK_STRV("type"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "type", vk_mem_source_from_string,
                                                     VK_XML_REQUIRED | VK_XML_NONZERO, &mb->source,
                                                     reterr);
                } else if (vk_xml_node_is(c, NULL, "access")) {
                        r = vk_xml_check_node(c, VK_STRV("mode"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "mode", vk_mem_access_from_string,
                                                     VK_XML_REQUIRED | VK_XML_NONZERO, &mb->access,
                                                     reterr);
                } else if (vk_xml_node_is(c, NULL, "allocation")) {
                        r = vk_xml_check_node(c, VK_STRV("mode", "threads"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_enum(c, "mode", vk_mem_allocation_from_string,
                                                     VK_XML_NONZERO, &mb->allocation, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_uint(c, "threads", VK_XML_NONZERO,
                                                     &mb->allocation_threads, reterr);
                        if (r >= 0 && mb->allocation_threads > 4096)
                                r = vk_xml_error(c, "threads", reterr,
                                                 "value %u out of range (1-4096)",
                                                 mb->allocation_threads);
                } else {
                        r = vk_xml_check_node(c, VK_XML_NONE, VK_XML_NONE, reterr);
                        if (vk_xml_node_is(c, NULL, "nosharepages"))
                                mb->nosharepages = true;
                        else if (vk_xml_node_is(c, NULL, "locked"))
                                mb->locked = true;
                        else
                                mb->discard = true;
                }
                if (r < 0)
                        return r;
        }
        if (mb->hugepages && mb->source == VK_MEM_SOURCE_ANONYMOUS)
                return vk_xml_error(node, NULL, reterr,
                                    "<hugepages> cannot back memory of <source type='anonymous'>");
        return 0;
}

void vk_domain_tune_format_memory(VkXmlWriter *w, const VkDomainDef *def) {
        const VkMemoryBacking *mb = &def->memory_backing;

        if (!mb->present)
                return;
        vk_xml_writer_start(w, "memoryBacking");
        if (mb->hugepages) {
                vk_xml_writer_start(w, "hugepages");
                if (mb->hugepage_kib) {
                        vk_xml_writer_start(w, "page");
                        vk_xml_writer_attrf(w, "size", "%llu", mb->hugepage_kib);
                        vk_xml_writer_attr(w, "unit", "KiB");
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        if (mb->nosharepages) {
                vk_xml_writer_start(w, "nosharepages");
                vk_xml_writer_end(w);
        }
        if (mb->locked) {
                vk_xml_writer_start(w, "locked");
                vk_xml_writer_end(w);
        }
        if (mb->source) {
                vk_xml_writer_start(w, "source");
                vk_xml_writer_attr(w, "type", vk_mem_source_to_string(mb->source));
                vk_xml_writer_end(w);
        }
        if (mb->access) {
                vk_xml_writer_start(w, "access");
                vk_xml_writer_attr(w, "mode", vk_mem_access_to_string(mb->access));
                vk_xml_writer_end(w);
        }
        if (mb->allocation || mb->allocation_threads) {
                vk_xml_writer_start(w, "allocation");
                if (mb->allocation)
                        vk_xml_writer_attr(w, "mode", vk_mem_allocation_to_string(mb->allocation));
                if (mb->allocation_threads)
                        vk_xml_writer_attrf(w, "threads", "%u", mb->allocation_threads);
                vk_xml_writer_end(w);
        }
        if (mb->discard) {
                vk_xml_writer_start(w, "discard");
                vk_xml_writer_end(w);
        }
        vk_xml_writer_end(w);
}

/* ---- <iothreads>, <iothreadids> ----------------------------------------------------------- */

static int tune_parse_iothreadids(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        int r;

        r = vk_xml_check_node(node, VK_XML_NONE, VK_STRV("iothread"), reterr);
        if (r < 0)
                return r;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                VkIothread t = { .pool_min = -1, .pool_max = -1 };
                xmlNode *poll;

                if (def->n_iothreadids >= TUNE_IOTHREADS_MAX)
                        return vk_xml_error(c, NULL, reterr, "more than %d I/O threads",
                                            TUNE_IOTHREADS_MAX);
                r = vk_xml_check_node(c, VK_STRV("id", "thread_pool_min", "thread_pool_max"),
                                      VK_STRV("poll"), reterr);
                if (r >= 0)
                        r = vk_xml_check_unique(c, VK_STRV("poll"), reterr);
                if (r >= 0)
                        r = vk_xml_prop_uint(c, "id", VK_XML_REQUIRED | VK_XML_NONZERO, &t.id,
                                             reterr);
                if (r >= 0)
                        r = vk_xml_prop_int(c, "thread_pool_min", 0, &t.pool_min, reterr);
                if (r >= 0)
                        r = vk_xml_prop_int(c, "thread_pool_max", 0, &t.pool_max, reterr);
                if (r < 0)
                        return r;
                if (t.pool_min < -1 || t.pool_max < -1 || t.pool_max == 0 ||
                    (t.pool_max >= 0 && t.pool_min > t.pool_max))
                        return vk_xml_error(c, "thread_pool_max", reterr,
                                            "thread pool %d-%d: the maximum must be at least 1 "
                                            "and not below the minimum",
                                            t.pool_min, t.pool_max);
                for (size_t i = 0; i < def->n_iothreadids; i++)
                        if (def->iothreadids[i].id == t.id)
                                return vk_xml_error(c, "id", reterr, "I/O thread id %u given twice",
                                                    t.id);
                poll = vk_xml_child(c, "poll");
                if (poll) {
                        r = vk_xml_check_node(poll, VK_STRV("max", "grow", "shrink"), VK_XML_NONE,
                                              reterr);
                        if (r >= 0)
                                r = vk_xml_prop_ulong(poll, "max", 0, &t.poll_max, reterr);
                        t.has_poll_max = r > 0;
                        if (r >= 0)
                                r = vk_xml_prop_ulong(poll, "grow", 0, &t.poll_grow, reterr);
                        t.has_poll_grow = r > 0;
                        if (r >= 0)
                                r = vk_xml_prop_ulong(poll, "shrink", 0, &t.poll_shrink, reterr);
                        t.has_poll_shrink = r > 0;
                        if (r < 0)
                                return r;
                }
                def->iothreadids = g_renew(VkIothread, def->iothreadids, def->n_iothreadids + 1);
                def->iothreadids[def->n_iothreadids++] = t;
        }
        return 0;
}

/* <vcpusched vcpus='0-1' scheduler='fifo' priority='10'/> (priority for fifo and rr only) */
static void tune_format_sched(VkXmlWriter *w, const char *element, const char *ids_attr,
                              const VkCpuSched *s) {
        vk_xml_writer_start(w, element);
        if (ids_attr)
                vk_xml_writer_attr(w, ids_attr, s->ids);
        vk_xml_writer_attr(w, "scheduler", vk_sched_policy_to_string(s->policy));
        if (s->policy == VK_SCHED_POLICY_FIFO || s->policy == VK_SCHED_POLICY_RR)
                vk_xml_writer_attrf(w, "priority", "%d", s->priority);
        vk_xml_writer_end(w);
}

void vk_domain_tune_format_threads(VkXmlWriter *w, const VkDomainDef *def) {
        const VkCputune *ct = &def->cputune;

        if (def->n_iothreads) {
                g_autofree char *n = g_strdup_printf("%u", def->n_iothreads);

                vk_xml_writer_text_element(w, "iothreads", n);
        }
        if (def->n_iothreadids) {
                vk_xml_writer_start(w, "iothreadids");
                for (size_t i = 0; i < def->n_iothreadids; i++) {
                        const VkIothread *t = &def->iothreadids[i];

                        vk_xml_writer_start(w, "iothread");
                        vk_xml_writer_attrf(w, "id", "%u", t->id);
                        if (t->pool_min >= 0)
                                vk_xml_writer_attrf(w, "thread_pool_min", "%d", t->pool_min);
                        if (t->pool_max >= 0)
                                vk_xml_writer_attrf(w, "thread_pool_max", "%d", t->pool_max);
                        if (t->has_poll_max || t->has_poll_grow || t->has_poll_shrink) {
                                vk_xml_writer_start(w, "poll");
                                if (t->has_poll_max)
                                        vk_xml_writer_attrf(w, "max", "%llu", t->poll_max);
                                if (t->has_poll_grow)
                                        vk_xml_writer_attrf(w, "grow", "%llu", t->poll_grow);
                                if (t->has_poll_shrink)
                                        vk_xml_writer_attrf(w, "shrink", "%llu", t->poll_shrink);
                                vk_xml_writer_end(w);
                        }
                        vk_xml_writer_end(w);
                }
                vk_xml_writer_end(w);
        }
        if (!ct->present)
                return;

        vk_xml_writer_start(w, "cputune");
        if (ct->shares) {
                g_autofree char *v = g_strdup_printf("%llu", ct->shares);

                vk_xml_writer_text_element(w, "shares", v);
        }
#define FORMAT_NUM(name, field, fmt)                                                               \
        if (ct->field) {                                                                           \
                g_autofree char *_v = g_strdup_printf(fmt, ct->field);                             \
                vk_xml_writer_text_element(w, name, _v);                                           \
        }
        FORMAT_NUM("period", period, "%llu")
        FORMAT_NUM("quota", quota, "%lld")
        FORMAT_NUM("global_period", global_period, "%llu")
        FORMAT_NUM("global_quota", global_quota, "%lld")
        FORMAT_NUM("emulator_period", emulator_period, "%llu")
        FORMAT_NUM("emulator_quota", emulator_quota, "%lld")
        FORMAT_NUM("iothread_period", iothread_period, "%llu")
        FORMAT_NUM("iothread_quota", iothread_quota, "%lld")
#undef FORMAT_NUM
        for (size_t i = 0; i < ct->n_vcpupins; i++) {
                vk_xml_writer_start(w, "vcpupin");
                vk_xml_writer_attrf(w, "vcpu", "%u", ct->vcpupins[i].id);
                vk_xml_writer_attr(w, "cpuset", ct->vcpupins[i].cpuset);
                vk_xml_writer_end(w);
        }
        if (ct->emulatorpin) {
                vk_xml_writer_start(w, "emulatorpin");
                vk_xml_writer_attr(w, "cpuset", ct->emulatorpin);
                vk_xml_writer_end(w);
        }
        /* libvirt's order: the emulator's scheduler follows its pin */
        if (ct->emulatorsched.policy != VK_SCHED_POLICY_NONE)
                tune_format_sched(w, "emulatorsched", NULL, &ct->emulatorsched);
        for (size_t i = 0; i < ct->n_iothreadpins; i++) {
                vk_xml_writer_start(w, "iothreadpin");
                vk_xml_writer_attrf(w, "iothread", "%u", ct->iothreadpins[i].id);
                vk_xml_writer_attr(w, "cpuset", ct->iothreadpins[i].cpuset);
                vk_xml_writer_end(w);
        }
        for (size_t i = 0; i < ct->n_vcpuscheds; i++)
                tune_format_sched(w, "vcpusched", "vcpus", &ct->vcpuscheds[i]);
        for (size_t i = 0; i < ct->n_iothreadscheds; i++)
                tune_format_sched(w, "iothreadsched", "iothreads", &ct->iothreadscheds[i]);
        vk_xml_writer_end(w);
}

/* ---- <cputune> ------------------------------------------------------------------------- */

/* A period (1000-1000000 us) or a quota (-1, or 1000-17592186044415 us), the element's text */
static int tune_parse_number(xmlNode *c, bool quota, unsigned long long *ret_period,
                             long long *ret_quota, VkError *reterr) {
        g_autofree char *text = NULL;
        long long v;
        int r;

        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
        if (r >= 0)
                r = vk_xml_node_text(c, VK_XML_REQUIRED, &text, reterr);
        if (r < 0)
                return r;
        if (vk_xml_parse_int(text, -1, 17592186044415LL, &v) < 0 ||
            (quota && v != -1 && v < 1000) || (!quota && (v < 1000 || v > 1000000)))
                return vk_xml_error(c, NULL, reterr,
                                    quota ? "value '%s' out of range (-1, or 1000-17592186044415)"
                                          : "value '%s' out of range (1000-1000000)",
                                    text);
        if (quota)
                *ret_quota = v;
        else
                *ret_period = (unsigned long long) v;
        return 0;
}

/* <vcpupin vcpu= cpuset=/> or <iothreadpin iothread= cpuset=/> */
static int tune_parse_pin(xmlNode *c, const char *id_attr, VkCpuPin **pins, size_t *n,
                          VkError *reterr) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);
        VkCpuPin pin = {};
        int r;

        if (*n >= TUNE_PINS_MAX)
                return vk_xml_error(c, NULL, reterr, "more than %d pins", TUNE_PINS_MAX);
        r = vk_xml_check_node(c, VK_STRV(id_attr, "cpuset"), VK_XML_NONE, reterr);
        if (r >= 0)
                r = vk_xml_prop_uint(c, id_attr, VK_XML_REQUIRED, &pin.id, reterr);
        if (r < 0)
                return r;
        for (size_t i = 0; i < *n; i++)
                if ((*pins)[i].id == pin.id)
                        return vk_xml_error(c, id_attr, reterr, "%u is pinned twice", pin.id);
        r = vk_xml_prop_string(c, "cpuset", VK_XML_REQUIRED | VK_XML_NONZERO, &pin.cpuset, reterr);
        if (r < 0)
                return r;
        if (vk_domain_cpuset_parse(pin.cpuset, map) < 0) {
                r = vk_xml_error(c, "cpuset", reterr, "invalid CPU set '%s'", pin.cpuset);
                g_free(pin.cpuset);
                return r;
        }
        *pins = g_renew(VkCpuPin, *pins, *n + 1);
        (*pins)[(*n)++] = pin;
        return 0;
}

/*
 * <vcpusched vcpus='0-3,^2' scheduler='fifo|rr|batch|idle' priority='1'/>, <iothreadsched
 * iothreads=...> (@ids_attr) or <emulatorsched scheduler= priority=> (@ids_attr NULL). The
 * priority is needed by fifo and rr (its range is the host's, checked at start) and ignored
 * otherwise, as libvirt does.
 */
static int tune_parse_sched(xmlNode *c, const char *ids_attr, VkCpuSched *ret, VkError *reterr) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);
        g_autofree char *ids = NULL;
        g_autofree char *prio = NULL;
        VkCpuSched s = {};
        long long v;
        int r;

        r = vk_xml_check_node(c,
                              ids_attr ? VK_STRV(ids_attr, "scheduler", "priority")
                                       : VK_STRV("scheduler", "priority"),
                              VK_XML_NONE, reterr);
        if (r >= 0 && ids_attr)
                r = vk_xml_prop_string(c, ids_attr, VK_XML_REQUIRED | VK_XML_NONZERO, &ids, reterr);
        if (r >= 0)
                r = vk_xml_prop_enum(c, "scheduler", vk_sched_policy_from_string, VK_XML_REQUIRED,
                                     &s.policy, reterr);
        if (r >= 0)
                r = vk_xml_prop_string(c, "priority", 0, &prio, reterr);
        if (r < 0)
                return r;
        if (ids && vk_domain_cpuset_parse(ids, map) < 0)
                return vk_xml_error(c, ids_attr, reterr, "invalid set '%s'", ids);
        if (s.policy == VK_SCHED_POLICY_FIFO || s.policy == VK_SCHED_POLICY_RR) {
                if (!prio)
                        return vk_xml_error(c, "priority", reterr,
                                            "is required with scheduler '%s'",
                                            vk_sched_policy_to_string(s.policy));
                if (vk_xml_parse_int(prio, INT_MIN, INT_MAX, &v) < 0)
                        return vk_xml_error(c, "priority", reterr, "invalid value '%s'", prio);
                s.priority = (int) v;
        }
        s.ids = g_steal_pointer(&ids);
        *ret = s;
        return 0;
}

static int tune_parse_sched_list(xmlNode *c, const char *ids_attr, VkCpuSched **list, size_t *n,
                                 VkError *reterr) {
        VkCpuSched s;
        int r;

        if (*n >= TUNE_PINS_MAX)
                return vk_xml_error(c, NULL, reterr, "more than %d elements", TUNE_PINS_MAX);
        r = tune_parse_sched(c, ids_attr, &s, reterr);
        if (r < 0)
                return r;
        *list = g_renew(VkCpuSched, *list, *n + 1);
        (*list)[(*n)++] = s;
        return 0;
}

/*
 *   <cputune>
 *     <shares>2048</shares> <period>100000</period> <quota>-1</quota> ...
 *     <vcpupin vcpu='0' cpuset='1-4,^2'/> <emulatorpin cpuset='1-3'/>
 *     <iothreadpin iothread='1' cpuset='5,6'/>
 *   </cputune>
 */
static int tune_parse_cputune(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        static const char *const numbers[] = { "shares",         "period",
                                               "quota",          "global_period",
                                               "global_quota",   "emulator_period",
                                               "emulator_quota", "iothread_period",
                                               "iothread_quota", NULL };
        VkCputune *ct = &def->cputune;
        int r;

        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c))
                if (vk_xml_node_is(c, NULL, "cachetune") || vk_xml_node_is(c, NULL, "memorytune"))
                        return vk_xml_error(c, NULL, reterr,
                                            "is not supported (resource control tuning (resctrl) "
                                            "is not implemented)");
        r = vk_xml_check_node(node, VK_XML_NONE,
                              VK_STRV("shares", "period", "quota", "global_period", "global_quota",
                                      "emulator_period", "emulator_quota", "iothread_period",
                                      "iothread_quota", "vcpupin", "emulatorpin", "iothreadpin",
                                      "vcpusched", "iothreadsched", "emulatorsched"),
                              reterr);
        if (r < 0)
                return r;
        r = vk_xml_check_unique(node, numbers, reterr);
        if (r >= 0)
                r = vk_xml_check_unique(node, VK_STRV("emulatorpin", "emulatorsched"), reterr);
        if (r < 0)
                return r;
        ct->present = true;
        for (xmlNode *c = vk_xml_first_element(node); c; c = vk_xml_next_element(c)) {
                const char *name = (const char *) c->name;

                if (strcmp(name, "shares") == 0) {
                        r = vk_xml_check_node(c, VK_XML_NONE, NULL, reterr);
                        if (r >= 0)
                                r = vk_xml_node_text_ulong(c, VK_XML_REQUIRED, &ct->shares, reterr);
                        if (r >= 0 && (ct->shares < 2 || ct->shares > 262144))
                                r = vk_xml_error(c, NULL, reterr,
                                                 "value %llu out of range (2-262144)", ct->shares);
                } else if (strcmp(name, "period") == 0)
                        r = tune_parse_number(c, false, &ct->period, NULL, reterr);
                else if (strcmp(name, "quota") == 0)
                        r = tune_parse_number(c, true, NULL, &ct->quota, reterr);
                else if (strcmp(name, "global_period") == 0)
                        r = tune_parse_number(c, false, &ct->global_period, NULL, reterr);
                else if (strcmp(name, "global_quota") == 0)
                        r = tune_parse_number(c, true, NULL, &ct->global_quota, reterr);
                else if (strcmp(name, "emulator_period") == 0)
                        r = tune_parse_number(c, false, &ct->emulator_period, NULL, reterr);
                else if (strcmp(name, "emulator_quota") == 0)
                        r = tune_parse_number(c, true, NULL, &ct->emulator_quota, reterr);
                else if (strcmp(name, "iothread_period") == 0)
                        r = tune_parse_number(c, false, &ct->iothread_period, NULL, reterr);
                else if (strcmp(name, "iothread_quota") == 0)
                        r = tune_parse_number(c, true, NULL, &ct->iothread_quota, reterr);
                else if (strcmp(name, "vcpupin") == 0)
                        r = tune_parse_pin(c, "vcpu", &ct->vcpupins, &ct->n_vcpupins, reterr);
                else if (strcmp(name, "iothreadpin") == 0)
                        r = tune_parse_pin(c, "iothread", &ct->iothreadpins, &ct->n_iothreadpins,
                                           reterr);
                else if (strcmp(name, "vcpusched") == 0)
                        r = tune_parse_sched_list(c, "vcpus", &ct->vcpuscheds, &ct->n_vcpuscheds,
                                                  reterr);
                else if (strcmp(name, "iothreadsched") == 0)
                        r = tune_parse_sched_list(c, "iothreads", &ct->iothreadscheds,
                                                  &ct->n_iothreadscheds, reterr);
                else if (strcmp(name, "emulatorsched") == 0)
                        r = tune_parse_sched(c, NULL, &ct->emulatorsched, reterr);
                else {
                        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

                        r = vk_xml_check_node(c, VK_STRV("cpuset"), VK_XML_NONE, reterr);
                        if (r >= 0)
                                r = vk_xml_prop_string(c, "cpuset",
                                                       VK_XML_REQUIRED | VK_XML_NONZERO,
                                                       &ct->emulatorpin, reterr);
                        if (r >= 0 && vk_domain_cpuset_parse(ct->emulatorpin, map) < 0)
                                r = vk_xml_error(c, "cpuset", reterr, "invalid CPU set '%s'",
                                                 ct->emulatorpin);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One of this file's elements, a child of <domain>. */
int vk_domain_tune_parse(VkDomainDef *def, xmlNode *node, VkError *reterr) {
        if (vk_xml_node_is(node, NULL, "memoryBacking"))
                return tune_parse_memory_backing(def, node, reterr);
        if (vk_xml_node_is(node, NULL, "iothreadids"))
                return tune_parse_iothreadids(def, node, reterr);
        if (vk_xml_node_is(node, NULL, "cputune"))
                return tune_parse_cputune(def, node, reterr);

        {
                unsigned long long n;
                int r;

                r = vk_xml_check_node(node, VK_XML_NONE, NULL, reterr);
                if (r >= 0)
                        r = vk_xml_node_text_ulong(node, VK_XML_REQUIRED, &n, reterr);
                if (r < 0)
                        return r;
                if (n > TUNE_IOTHREADS_MAX)
                        return vk_xml_error(node, NULL, reterr, "value %llu exceeds %d", n,
                                            TUNE_IOTHREADS_MAX);
                def->n_iothreads = (unsigned) n;
                return 0;
        }
}

/*
 * The sets of <vcpusched vcpus=> (@iothreads false) or <iothreadsched iothreads=> name vCPUs
 * or I/O threads that exist, and no two of them name the same one.
 */
static int tune_check_sched_sets(const VkDomainDef *def, bool iothreads, VkError *reterr) {
        const VkCputune *ct = &def->cputune;
        const VkCpuSched *list = iothreads ? ct->iothreadscheds : ct->vcpuscheds;
        size_t n = iothreads ? ct->n_iothreadscheds : ct->n_vcpuscheds;
        const char *element = iothreads ? "iothreadsched" : "vcpusched";
        const char *attr = iothreads ? "iothreads" : "vcpus";
        g_autofree bool *seen = g_new0(bool, VK_DOMAIN_CPUSET_MAX);
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

        for (size_t i = 0; i < n; i++) {
                memset(map, 0, VK_DOMAIN_CPUSET_MAX * sizeof(bool));
                (void) vk_domain_cpuset_parse(list[i].ids, map);
                for (unsigned id = 0; id < VK_DOMAIN_CPUSET_MAX; id++) {
                        if (!map[id])
                                continue;
                        if (iothreads ? !vk_domain_iothread_exists(def, id) : id >= def->vcpus)
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "/domain/cputune/%s[%zu]/@%s: %s %u does not "
                                                    "exist",
                                                    element, i + 1, attr,
                                                    iothreads ? "I/O thread" : "vCPU", id);
                        if (seen[id])
                                return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                                    "/domain/cputune/%s[%zu]/@%s: %s %u is in "
                                                    "another <%s> already",
                                                    element, i + 1, attr,
                                                    iothreads ? "I/O thread" : "vCPU", id, element);
                        seen[id] = true;
                }
        }
        return 0;
}

static int tune_check_scheds(const VkDomainDef *def, VkError *reterr) {
        int r = tune_check_sched_sets(def, false, reterr);

        return r < 0 ? r : tune_check_sched_sets(def, true, reterr);
}

/* The <vcpusched> that names vCPU @vcpu, or NULL. */
const VkCpuSched *vk_domain_vcpu_sched(const VkDomainDef *def, unsigned vcpu) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

        for (size_t i = 0; vcpu < VK_DOMAIN_CPUSET_MAX && i < def->cputune.n_vcpuscheds; i++) {
                memset(map, 0, VK_DOMAIN_CPUSET_MAX * sizeof(bool));
                if (vk_domain_cpuset_parse(def->cputune.vcpuscheds[i].ids, map) >= 0 && map[vcpu])
                        return &def->cputune.vcpuscheds[i];
        }
        return NULL;
}

/* The <iothreadsched> that names I/O thread @id, or NULL. */
const VkCpuSched *vk_domain_iothread_sched(const VkDomainDef *def, unsigned id) {
        g_autofree bool *map = g_new0(bool, VK_DOMAIN_CPUSET_MAX);

        for (size_t i = 0; id < VK_DOMAIN_CPUSET_MAX && i < def->cputune.n_iothreadscheds; i++) {
                memset(map, 0, VK_DOMAIN_CPUSET_MAX * sizeof(bool));
                if (vk_domain_cpuset_parse(def->cputune.iothreadscheds[i].ids, map) >= 0 && map[id])
                        return &def->cputune.iothreadscheds[i];
        }
        return NULL;
}

/*
 * What needs the whole domain: <iothreads> counts at least the <iothreadids>, pins name
 * vCPUs and I/O threads that exist. Fills n_iothreads from <iothreadids> when absent.
 */
int vk_domain_tune_check(VkDomainDef *def, xmlNode *root, VkError *reterr) {
        const VkCputune *ct = &def->cputune;

        if (def->n_iothreads < def->n_iothreadids)
                def->n_iothreads = (unsigned) def->n_iothreadids;
        for (size_t i = 0; i < ct->n_vcpupins; i++)
                if (ct->vcpupins[i].id >= def->vcpus)
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/cputune/vcpupin[%zu]/@vcpu: vCPU %u does not "
                                            "exist (<vcpu> is %u)",
                                            i + 1, ct->vcpupins[i].id, def->vcpus);
        for (size_t i = 0; i < ct->n_iothreadpins; i++)
                if (!vk_domain_iothread_exists(def, ct->iothreadpins[i].id))
                        return vk_error_set(reterr, VK_ERROR_INVALID_XML, -EINVAL,
                                            "/domain/cputune/iothreadpin[%zu]/@iothread: no I/O "
                                            "thread %u (<iothreads> is %u)",
                                            i + 1, ct->iothreadpins[i].id, def->n_iothreads);
        return tune_check_scheds(def, reterr);
}

/* Free what the tuning elements of @def own. */
void vk_domain_tune_clear(VkDomainDef *def) {
        VkCputune *ct = &def->cputune;

        g_free(def->iothreadids);
        for (size_t i = 0; i < ct->n_vcpupins; i++)
                g_free(ct->vcpupins[i].cpuset);
        g_free(ct->vcpupins);
        g_free(ct->emulatorpin);
        for (size_t i = 0; i < ct->n_iothreadpins; i++)
                g_free(ct->iothreadpins[i].cpuset);
        g_free(ct->iothreadpins);
        for (size_t i = 0; i < ct->n_vcpuscheds; i++)
                g_free(ct->vcpuscheds[i].ids);
        g_free(ct->vcpuscheds);
        for (size_t i = 0; i < ct->n_iothreadscheds; i++)
                g_free(ct->iothreadscheds[i].ids);
        g_free(ct->iothreadscheds);
}

static VkCpuSched *tune_copy_scheds(const VkCpuSched *src, size_t n) {
        VkCpuSched *l = n ? g_memdup2(src, n * sizeof(*src)) : NULL;

        for (size_t i = 0; i < n; i++)
                l[i].ids = g_strdup(src[i].ids);
        return l;
}

static VkCpuPin *tune_copy_pins(const VkCpuPin *src, size_t n) {
        VkCpuPin *pins = n ? g_memdup2(src, n * sizeof(*src)) : NULL;

        for (size_t i = 0; i < n; i++)
                pins[i].cpuset = g_strdup(src[i].cpuset);
        return pins;
}

/* Replace the tuning pointers of @def, a struct copy, by copies of what they point to. */
void vk_domain_tune_copy(VkDomainDef *def) {
        VkCputune *ct = &def->cputune;

        def->iothreadids = def->n_iothreadids ? g_memdup2(def->iothreadids,
                                                          def->n_iothreadids * sizeof(VkIothread))
                                              : NULL;
        ct->vcpupins = tune_copy_pins(ct->vcpupins, ct->n_vcpupins);
        ct->emulatorpin = g_strdup(ct->emulatorpin);
        ct->iothreadpins = tune_copy_pins(ct->iothreadpins, ct->n_iothreadpins);
        ct->vcpuscheds = tune_copy_scheds(ct->vcpuscheds, ct->n_vcpuscheds);
        ct->iothreadscheds = tune_copy_scheds(ct->iothreadscheds, ct->n_iothreadscheds);
}

/*
 * The id of the @index-th I/O thread (0-based) of the domain's n_iothreads: the ids of
 * <iothreadids> first, then the lowest ids not taken, as libvirt numbers them.
 */
unsigned vk_domain_iothread_id(const VkDomainDef *def, unsigned index) {
        unsigned id = 0;

        if (index < def->n_iothreadids)
                return def->iothreadids[index].id;
        index -= (unsigned) def->n_iothreadids;
        for (;;) {
                bool taken = false;

                id++;
                for (size_t i = 0; i < def->n_iothreadids; i++)
                        taken = taken || def->iothreadids[i].id == id;
                if (taken)
                        continue;
                if (index == 0)
                        return id;
                index--;
        }
}

/* Whether I/O thread @id is one of the domain's. */
bool vk_domain_iothread_exists(const VkDomainDef *def, unsigned id) {
        for (unsigned i = 0; i < def->n_iothreads; i++)
                if (vk_domain_iothread_id(def, i) == id)
                        return true;
        return false;
}
