/*
 * access.h - who acts and what they may do. Pure: no I/O.
 *
 *   struct principal       the authenticated caller of one request
 *   access_roles_*         role sets (bits of enum wf_role) to and from text
 *   access_is_person       whether a principal is a person named in a case
 *   access_check_sod       segregation of duties for approvals and verdicts
 *   apikey_*               the shape of capa's API keys
 *   tbucket_take            one token-bucket step (rate limiting)
 */
#ifndef CAPA_ACCESS_H
#define CAPA_ACCESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "workflow.h"
#include "tbucket.h"

#define ACCESS_ROLE_BIT(r) (1u << (r))
#define ACCESS_ROLES_ALL ((1u << WF_ROLE__COUNT) - 1u)

/*
 * Who acts: recorded on every case-log row. The strings are borrowed (the
 * HTTP layer keeps them for the request).
 */
struct principal {
    const char *kind;         /* "api_key" (a service), "user" (a JWT), "system" (capa itself) */
    const char *subject;      /* stable identifier: the key id, the token's sub */
    const char *name;         /* display name (key name, token name claim), may be NULL */
    unsigned roles;           /* ACCESS_ROLE_BIT set */
    bool delegate;            /* may act for a person (Capa-On-Behalf-Of) */
    const char *on_behalf_of; /* the person a delegate acts for, or NULL */
};

/* "viewer, approver" for a role set, in enum order; "" for none. Returns buf. */
const char *access_roles_text(unsigned roles, char *buf, size_t size);
/* The role names of a set as a JSON array, in enum order (new reference; NULL: no memory). */
json_t *access_roles_json(unsigned roles);
/*
 * The role set of a JSON array of role names. Names that are not capa roles
 * are ignored (an identity provider's other roles), and "delegate" sets
 * *delegate. Anything but an array gives 0.
 */
unsigned access_roles_from_json(const json_t *j_names, bool *delegate);

/*
 * Fold a person's name for comparison: ASCII letters lower-cased, every other
 * ASCII character but digits dropped (spaces, punctuation), other bytes kept:
 * "Local Approver", "local-approver" and "LOCAL_APPROVER" are one name. out
 * has size bytes (the fold is never longer than s).
 */
void access_name_fold(const char *s, char *out, size_t size);

/*
 * Whether p is the person named by free text: its subject, its name or the
 * person it acts for, each folded (access_name_fold). NULL or "" names nobody.
 */
bool access_is_person(const struct principal *p, const char *person);

/*
 * Whether p is the person a case names (an owner, an assignee) as stored: free
 * text (a JSON string, access_is_person), or a principal {"kind", "subject",
 * "name"?}: the same kind and subject, or a delegate acting for a person
 * whose folded name is the principal's subject or name.
 */
bool access_is_named(const struct principal *p, const json_t *j_person);

/*
 * Segregation of duties for a principal about to approve a case or judge the
 * effectiveness of its actions (what: "approve" | "judge"): it may not be the
 * case owner (j_owner: a person as access_is_named reads it, or NULL), an
 * assignee of one of its actions not cancelled (j_assignees: array of
 * persons) nor, for an approval, the principal that raised the case or the
 * person it raised it for (creator: kind, subject, on_behalf_of; NULL when
 * unknown). Returns ERR_OK, or ERR_SEGREGATION with the reason in detail.
 */
int access_check_sod(const struct principal *p, const char *what, const json_t *j_owner,
                     const json_t *j_assignees, const struct principal *creator, char *detail,
                     size_t detail_size);

/*
 * The credential of an Authorization header "Bearer <token>" (scheme
 * case-insensitive, RFC 6750 token characters, at most ACCESS_CREDENTIAL_MAX), or
 * NULL with *reason "missing" (header NULL), "too_long" or "malformed".
 * Points into header.
 */
#define ACCESS_CREDENTIAL_MAX 8192
const char *access_bearer_token(const char *header, const char **reason);

#endif
