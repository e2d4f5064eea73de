/*
 * hf.c: parameter counts from a Hugging Face config.json, counted from the
 * architecture: dense decoders (Llama, Mistral, Qwen2/3), mixture-of-experts
 * (Mixtral, Qwen MoE, MiniMax, gpt-oss), DeepSeek-style MoE with
 * multi-head latent attention and shared experts (DeepSeek V3/R1/V3.2, Kimi
 * K2, GLM-5) and interleaved MoE (Llama 4). Multimodal configs are counted
 * from their text_config (the vision tower is not counted, and the note says
 * so). Anything else is "unsupported: <model_type>", never a guess.
 *
 * Counted: embeddings, attention, MLP or experts, routers, norms, the output
 * head (unless tied). Not counted: multi-token-prediction modules, which
 * the published totals leave out (DeepSeek-V3 is 671B without its 14B MTP
 * module), and vision/audio towers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "importers.h"

enum hf_family { HF_DENSE, HF_MOE, HF_MLA_MOE, HF_LLAMA4 };

static const struct {
	const char	*model_type;
	enum hf_family	 family;
} hf_types[] = {
	{ "llama", HF_DENSE },
	{ "mistral", HF_DENSE },
	{ "qwen2", HF_DENSE },
	{ "qwen3", HF_DENSE },
	{ "mixtral", HF_MOE },
	{ "qwen2_moe", HF_MOE },
	{ "qwen3_moe", HF_MOE },
	{ "minimax_m2", HF_MOE },
	{ "gpt_oss", HF_MOE },
	{ "deepseek_v3", HF_MLA_MOE },
	{ "deepseek_v32", HF_MLA_MOE },
	{ "kimi_k2", HF_MLA_MOE },
	{ "glm_moe_dsa", HF_MLA_MOE },
	{ "llama4", HF_LLAMA4 },
	{ "llama4_text", HF_LLAMA4 },
};

/* The first of keys (NULL-terminated) that c has as a number, else dflt. */
static double
hf_num(const json_t *c, double dflt, ...)
{
	va_list		 ap;
	const char	*k;
	json_t		*v;

	va_start(ap, dflt);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = json_object_get(c, k);
		if (json_is_number(v)) {
			va_end(ap);
			return json_number_value(v);
		}
	}
	va_end(ap);
	return dflt;
}

static bool
hf_bool(const json_t *c, const char *key, bool dflt)
{
	json_t	*v = json_object_get(c, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

/* Is layer i (from 0) listed in the array c[key]? */
static bool
hf_in_list(const json_t *c, const char *key, int i)
{
	json_t	*a = json_object_get(c, key), *v;
	size_t	 j;

	json_array_foreach(a, j, v) {
		if (json_is_integer(v) && json_integer_value(v) == i)
			return true;
	}
	return false;
}

/*
 * Estimate total and active parameters of the model config describes.
 * 0 on success; -1 and *cause "unsupported: <model_type>" (or what is
 * missing) when it cannot be counted right.
 */
int
hf_estimate_params(const json_t *config, struct hf_estimate *est,
    char **cause)
{
	const json_t	*c = config, *tc;
	const char	*mt = NULL;
	enum hf_family	 fam = HF_DENSE;
	double		 h, L, H, KV, hd, V, inter, mi, E, k, shared, attn;
	double		 mlp_dense, moe_total, moe_active, emb, total, active;
	double		 norms, qr, kvr, nope, rope, vh, step;
	bool		 found = false, qk_norm, bias, native = false;
	int		 i, first_dense, freq, nmoe = 0;
	size_t		 t;

	memset(est, 0, sizeof *est);
	est->total = est->active = NAN;
	if (!json_is_object(config)) {
		xasprintf(cause, "config is not a JSON object");
		return -1;
	}
	tc = json_object_get(config, "text_config");
	if (json_is_object(tc))
		c = tc;
	if (json_is_string(json_object_get(c, "model_type")))
		mt = json_string_value(json_object_get(c, "model_type"));
	else if (json_is_string(json_object_get(config, "model_type")))
		mt = json_string_value(json_object_get(config, "model_type"));
	if (mt == NULL && json_object_get(c, "dim") != NULL &&
	    json_object_get(c, "n_routed_experts") != NULL) {
		/* DeepSeek's own inference config (ModelArgs). */
		mt = "deepseek_v3";
		native = true;
	}
	if (mt == NULL) {
		xasprintf(cause, "unsupported: no model_type");
		return -1;
	}
	snprintf(est->model_type, sizeof est->model_type, "%s", mt);
	for (t = 0; t < nitems(hf_types); t++) {
		if (strcmp(mt, hf_types[t].model_type) == 0) {
			fam = hf_types[t].family;
			found = true;
			break;
		}
	}
	if (!found) {
		xasprintf(cause, "unsupported: %s", mt);
		return -1;
	}

	h = hf_num(c, NAN, "hidden_size", "dim", (char *)NULL);
	L = hf_num(c, NAN, "num_hidden_layers", "n_layers", (char *)NULL);
	H = hf_num(c, NAN, "num_attention_heads", "n_heads", (char *)NULL);
	V = hf_num(c, NAN, "vocab_size", (char *)NULL);
	if (isnan(h) || isnan(L) || isnan(H) || isnan(V) || h <= 0 ||
	    L <= 0 || H <= 0 || V <= 0) {
		xasprintf(cause, "unsupported: %s config lacks hidden_size, "
		    "num_hidden_layers, num_attention_heads or vocab_size", mt);
		return -1;
	}
	KV = hf_num(c, H, "num_key_value_heads", "n_kv_heads", (char *)NULL);
	hd = hf_num(c, h / H, "head_dim", (char *)NULL);
	inter = hf_num(c, NAN, "intermediate_size", "inter_dim", (char *)NULL);
	mi = hf_num(c, inter, "moe_intermediate_size", "moe_inter_dim",
	    (char *)NULL);
	E = hf_num(c, 0, "n_routed_experts", "num_local_experts",
	    "num_experts", (char *)NULL);
	k = hf_num(c, 0, "num_experts_per_tok", "n_activated_experts",
	    "experts_per_token", (char *)NULL);
	shared = hf_num(c, 0, "n_shared_experts", (char *)NULL);
	bias = hf_bool(c, "attention_bias", false);
	qk_norm = hf_bool(c, "use_qk_norm", false) ||
	    strncmp(mt, "qwen3", 5) == 0;
	if (isnan(inter)) {
		xasprintf(cause, "unsupported: %s config lacks "
		    "intermediate_size", mt);
		return -1;
	}

	/* Attention, per layer. */
	if (fam == HF_MLA_MOE) {
		qr = hf_num(c, 0, "q_lora_rank", (char *)NULL);
		kvr = hf_num(c, NAN, "kv_lora_rank", (char *)NULL);
		nope = hf_num(c, NAN, "qk_nope_head_dim", (char *)NULL);
		rope = hf_num(c, NAN, "qk_rope_head_dim", (char *)NULL);
		vh = hf_num(c, NAN, "v_head_dim", (char *)NULL);
		if (isnan(kvr) || isnan(nope) || isnan(rope) || isnan(vh)) {
			xasprintf(cause, "unsupported: %s config lacks the "
			    "latent-attention sizes", mt);
			return -1;
		}
		if (qr > 0)
			attn = h * qr + qr + qr * H * (nope + rope);
		else
			attn = h * H * (nope + rope);
		attn += h * (kvr + rope) + kvr + kvr * H * (nope + vh) +
		    H * vh * h;
		/* The sparse-attention indexer (DeepSeek V3.2, GLM-5). */
		if (json_is_number(json_object_get(c, "index_n_heads"))) {
			double ih = hf_num(c, 0, "index_n_heads", (char *)NULL);
			double id = hf_num(c, 0, "index_head_dim",
			    (char *)NULL);

			attn += (qr > 0 ? qr : h) * ih * id + h * id + 2 * id +
			    h * ih;
		}
	} else {
		attn = h * H * hd + 2 * h * KV * hd + H * hd * h;
		if (bias)
			attn += H * hd + 2 * KV * hd + (strcmp(mt, "gpt_oss") ==
			    0 ? h : 0);
		if (qk_norm)
			attn += 2 * hd;
		if (strcmp(mt, "gpt_oss") == 0)
			attn += H;	/* attention sinks */
	}
	norms = 2 * h;
	mlp_dense = 3 * h * inter;	/* gated: gate, up, down */

	/* Experts of one MoE layer: all of them, and those one token uses. */
	moe_total = moe_active = 0;
	if (fam != HF_DENSE) {
		double expert, router, shared_p;

		if (E <= 0 || k <= 0) {
			xasprintf(cause, "unsupported: %s config lacks the "
			    "expert counts", mt);
			return -1;
		}
		if (fam == HF_LLAMA4)
			mi = inter;
		expert = 3 * h * mi;
		router = h * E;
		shared_p = 0;
		if (strcmp(mt, "gpt_oss") == 0) {
			expert += 2 * mi + h;		/* expert biases */
			router += E;
		}
		if (fam == HF_MLA_MOE)
			shared_p = shared * 3 * h * mi;
		else if (fam == HF_LLAMA4)
			shared_p = 3 * h * inter;	/* one shared expert */
		else if (strcmp(mt, "qwen2_moe") == 0) {
			shared_p = 3 * h * hf_num(c, 0,
			    "shared_expert_intermediate_size", (char *)NULL) + h;
		} else if (strcmp(mt, "qwen3_moe") == 0)
			shared_p = 3 * h * hf_num(c, 0,
			    "shared_expert_intermediate_size", (char *)NULL);
		moe_total = E * expert + router + shared_p;
		moe_active = k * expert + router + shared_p;
	}

	/* Which layers are MoE. */
	first_dense = (int)hf_num(c, 0, "first_k_dense_replace",
	    "n_dense_layers", (char *)NULL);
	freq = (int)hf_num(c, 1, "moe_layer_freq", (char *)NULL);
	step = hf_num(c, 1, "interleave_moe_layer_step", "decoder_sparse_step",
	    (char *)NULL);
	if (freq < 1)
		freq = 1;
	if (step < 1)
		step = 1;
	total = active = 0;
	for (i = 0; i < (int)L; i++) {
		bool moe;

		switch (fam) {
		case HF_DENSE:
			moe = false;
			break;
		case HF_MLA_MOE:
			moe = i >= first_dense && i % freq == 0;
			break;
		case HF_LLAMA4:
			moe = (i + 1) % (int)step == 0;
			break;
		default:
			moe = (i + 1) % (int)step == 0 &&
			    !hf_in_list(c, "mlp_only_layers", i);
			break;
		}
		total += attn + norms;
		active += attn + norms;
		if (moe) {
			total += moe_total;
			active += moe_active;
			nmoe++;
		} else if (fam == HF_LLAMA4) {
			total += 3 * h * hf_num(c, inter,
			    "intermediate_size_mlp", (char *)NULL);
			active += 3 * h * hf_num(c, inter,
			    "intermediate_size_mlp", (char *)NULL);
		} else {
			total += mlp_dense;
			active += mlp_dense;
		}
	}
	emb = V * h;
	if (!hf_bool(c, "tie_word_embeddings", hf_bool(config,
	    "tie_word_embeddings", false)))
		emb += V * h;
	total += emb + h;
	active += emb + h;

	est->total = total;
	est->active = active;
	est->layers = (int)L;
	est->moe_layers = nmoe;
	est->experts = fam == HF_DENSE ? 0 : (int)E;
	est->experts_per_token = fam == HF_DENSE ? 0 : (int)k;
	snprintf(est->note, sizeof est->note, "%s%s%s",
	    "counted from the architecture: embeddings, attention, MLP or "
	    "experts, routers, norms, output head",
	    hf_num(c, 0, "num_nextn_predict_layers", "num_mtp_modules",
	    (char *)NULL) > 0 ? "; multi-token-prediction modules not counted" :
	    "", json_is_object(tc) ? "; text model only (vision and other "
	    "towers not counted)" : (native ? "; DeepSeek inference config" :
	    ""));
	return 0;
}

static bool
hf_detect(const char *buf, size_t len, const char *path)
{
	size_t	 i;

	(void)path;
	for (i = 0; i < len && (buf[i] == ' ' || buf[i] == '\n' ||
	    buf[i] == '\r' || buf[i] == '\t'); i++)
		;
	if (i == len || buf[i] != '{')
		return false;
	/* The project's own JSON has "models" or "name"; HF has model_type. */
	return (memmem(buf, len, "\"model_type\"", 12) != NULL ||
	    memmem(buf, len, "\"n_routed_experts\"", 18) != NULL) &&
	    memmem(buf, len, "\"models\"", 8) == NULL;
}

/*
 * The model's name from the file name: "meta-llama--Meta-Llama-3.1-405B_
 * config.json" names repo "meta-llama/Meta-Llama-3.1-405B"; the model is
 * the part after "--" up to the first '_'. *developer is the part before.
 */
static char *
hf_name_from_path(const char *path, char **developer)
{
	const char	*base, *sep, *end;
	char		*name;

	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	*developer = NULL;
	if ((sep = strstr(base, "--")) != NULL) {
		*developer = xstrndup(base, (size_t)(sep - base));
		base = sep + 2;
	}
	end = strchr(base, '_');
	if (end == NULL)
		end = strstr(base, ".json");
	if (end == NULL)
		end = base + strlen(base);
	name = xstrndup(base, (size_t)(end - base));
	if (*name == '\0' || strcmp(name, "config") == 0) {
		free(name);
		name = xstrdup(path);
	}
	return name;
}

/*
 * Python's json module writes NaN, Infinity and -Infinity, which JSON does
 * not have (Nemotron-H's config has one): a copy with them as null.
 */
static char *
hf_sanitize(const char *buf, size_t len, size_t *outlen)
{
	static const char *const bad[] = { "-Infinity", "Infinity", "NaN" };
	char	*out;
	size_t	 i, j, n = 0;
	bool	 str = false, hit;

	out = xmalloc(len * 2 + 1);
	for (i = 0; i < len; i++) {
		if (str) {
			out[n++] = buf[i];
			if (buf[i] == '\\' && i + 1 < len)
				out[n++] = buf[++i];
			else if (buf[i] == '"')
				str = false;
			continue;
		}
		if (buf[i] == '"')
			str = true;
		hit = false;
		for (j = 0; j < nitems(bad) && !hit; j++) {
			size_t l = strlen(bad[j]);

			if (len - i >= l && memcmp(buf + i, bad[j], l) == 0) {
				memcpy(out + n, "null", 4);
				n += 4;
				i += l - 1;
				hit = true;
			}
		}
		if (!hit)
			out[n++] = buf[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}

static int
hf_parse(const char *buf, size_t len, const char *path,
    struct registry_set *set, char **cause)
{
	struct registry_source	 src = { "hf:config.json", path, 0, 40 };
	struct hf_estimate	 est;
	json_error_t		 jerr;
	json_t			*config, *e;
	char			*name, *developer, *why = NULL, *repo;
	const char		*np;

	config = json_loadb(buf, len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (config == NULL) {
		size_t	 clen;
		char	*clean = hf_sanitize(buf, len, &clen);

		config = json_loadb(clean, clen, JSON_DECODE_INT_AS_REAL, NULL);
		free(clean);
	}
	if (config == NULL) {
		xasprintf(cause, "%d: invalid JSON: %s", jerr.line, jerr.text);
		return -1;
	}
	np = json_string_value(json_object_get(config, "_name_or_path"));
	if (np != NULL && *np != '\0' && strchr(np, '/') != NULL) {
		developer = xstrndup(np, strcspn(np, "/"));
		name = xstrdup(strchr(np, '/') + 1);
	} else
		name = hf_name_from_path(path, &developer);
	if (developer != NULL) {
		xasprintf(&repo, "%s/%s", developer, name);
		registry_add_fact(set, name, "hf_repo", json_string(repo),
		    &src, NULL, NULL);
		registry_add_fact(set, name, "developer",
		    json_string(developer), &src, NULL, NULL);
		free(repo);
	}
	if (hf_estimate_params(config, &est, &why) != 0) {
		/* Known but not countable: say so, do not fail the import. */
		registry_add_fact(set, name, "parameters_unsupported",
		    json_string(why), &src, NULL, NULL);
		free(why);
	} else {
		e = json_pack("{s:s, s:s, s:f, s:f, s:i, s:i, s:i, s:i, s:s}",
		    "method", "architecture (config.json)", "model_type",
		    est.model_type, "total", est.total, "active", est.active,
		    "layers", est.layers, "moe_layers", est.moe_layers,
		    "experts", est.experts, "experts_per_token",
		    est.experts_per_token, "note", est.note);
		registry_add_fact(set, name, "parameters", json_real(est.total),
		    &src, "estimate", e);
		registry_add_fact(set, name, "active_parameters",
		    json_real(est.active), &src, "estimate", NULL);
	}
	registry_add_fact(set, name, "architecture",
	    json_string(est.model_type[0] != '\0' ? est.model_type :
	    "unknown"), &src, NULL, NULL);
	free(name);
	free(developer);
	json_decref(config);
	return 0;
}

const struct registry_format hf_format = {
	"hf", REGISTRY_MODELS, hf_detect, hf_parse
};
