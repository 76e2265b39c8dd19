//! `schema!`: an action's input struct with the rule of each field, and a typed handle per
//! field for its form (`state.fields().title`: a misspelled field does not compile).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{
    braced,
    parse::{Parse, ParseStream},
    punctuated::Punctuated,
    Attribute, Expr, Ident, Token, Type, Visibility,
};

/// `pub struct NewPost { pub title: String = Rule::text("Title"), … }`
pub struct SchemaInput {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    fields: Punctuated<FieldInput, Token![,]>,
}

struct FieldInput {
    attrs: Vec<Attribute>,
    vis: Visibility,
    name: Ident,
    ty: Type,
    rule: Expr,
}

impl Parse for SchemaInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        input.parse::<Token![struct]>()?;
        let name = input.parse()?;
        let content;
        braced!(content in input);
        let fields = content.parse_terminated(FieldInput::parse, Token![,])?;
        Ok(Self {
            attrs,
            vis,
            name,
            fields,
        })
    }
}

impl Parse for FieldInput {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis = input.parse()?;
        let name = input.parse()?;
        input.parse::<Token![:]>()?;
        let ty = input.parse()?;
        if !input.peek(Token![=]) {
            return Err(input.error(
                "each field names its rule after its type: `title: String = Rule::text(\"Title\")`",
            ));
        }
        input.parse::<Token![=]>()?;
        let rule = input.parse()?;
        Ok(Self {
            attrs,
            vis,
            name,
            ty,
            rule,
        })
    }
}

pub fn expand(input: SchemaInput) -> TokenStream {
    let SchemaInput {
        attrs,
        vis,
        name,
        fields,
    } = input;
    let fields: Vec<_> = fields.into_iter().collect();
    let field_attrs = fields.iter().map(|f| &f.attrs);
    let field_vis = fields.iter().map(|f| &f.vis);
    let field_names: Vec<_> = fields.iter().map(|f| &f.name).collect();
    let field_keys: Vec<_> = field_names
        .iter()
        .map(|n| n.to_string().trim_start_matches("r#").to_owned())
        .collect();
    let types: Vec<_> = fields.iter().map(|f| &f.ty).collect();
    let rules: Vec<_> = fields.iter().map(|f| &f.rule).collect();
    let handles = format_ident!("{}Fields", name);
    let handles_doc = format!(
        "The fields of [`{name}`]'s form, one handle each: `state.fields().{}`.",
        field_keys.first().map_or("…", String::as_str)
    );
    let handle_docs = field_keys
        .iter()
        .map(|key| format!("The `{key}` field: its rule, kept input and messages."));

    // The struct reads itself (see formwork's `decode`): a `Deserialize` derive would read a
    // wrong value as an unreadable request.
    let mut stripped = Vec::new();
    let attrs: Vec<_> = attrs
        .into_iter()
        .filter_map(|attr| without_deserialize(attr, &mut stripped))
        .collect();
    let count = fields.len();

    quote! {
        #(#attrs)*
        #vis struct #name {
            #(
                #(#field_attrs)*
                #field_vis #field_names: #types,
            )*
        }

        #[doc = #handles_doc]
        #[derive(Clone, Copy)]
        #vis struct #handles {
            #(
                #[doc = #handle_docs]
                pub #field_names: ::formwork::Field,
            )*
        }

        // The `Deserialize` the declaration derived is this one (its import stays in use).
        #(
            const _: () = {
                fn reads_itself<T: for<'de> #stripped<'de>>() {}
                let _ = reads_itself::<#name>;
            };
        )*

        impl<'de> ::formwork::__private::serde::Deserialize<'de> for #name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: ::formwork::__private::serde::Deserializer<'de>,
            {
                let sent = <::formwork::__private::decode::Sent as ::formwork::__private::serde::Deserialize>::deserialize(deserializer)?;
                let fields = <Self as ::formwork::schema::Schema>::FIELDS;
                let mut problems = ::formwork::FieldErrors::new();
                #(
                    let #field_names = ::formwork::__private::decode::field::<#types>(
                        &sent, #field_keys, &#rules, fields, &mut problems,
                    );
                )*
                match (#(#field_names,)*) {
                    (#(::core::option::Option::Some(#field_names),)*) if problems.is_empty() => {
                        ::core::result::Result::Ok(Self { #(#field_names),* })
                    }
                    _ => ::core::result::Result::Err(
                        <D::Error as ::formwork::__private::serde::de::Error>::custom(
                            ::formwork::__private::decode::field_errors(&problems),
                        ),
                    ),
                }
            }
        }

        // By hand rather than garde's derive, which names `::garde`: the crate using the
        // macro needs no `garde` dependency of its own.
        impl ::formwork::__private::garde::Validate for #name {
            type Context = ();

            fn validate_into(
                &self,
                _: &(),
                parent: &mut dyn FnMut() -> ::formwork::__private::garde::Path,
                report: &mut ::formwork::__private::garde::Report,
            ) {
                #[allow(unused_imports)]
                use ::formwork::__private::decode::{NoText as _, TextOf as _};
                #[allow(unused_variables)]
                let texts: [(&str, ::core::option::Option<&str>); #count] = [
                    #((#field_keys, (&::formwork::__private::decode::Probe(&self.#field_names)).text_of())),*
                ];
                #(
                    if let ::core::option::Option::Some(text) =
                        (&::formwork::__private::decode::Probe(&self.#field_names)).text_of()
                    {
                        let rule: ::formwork::schema::Rule = #rules;
                        let mut problem = rule.check(text).err();
                        if let (::core::option::Option::None, ::core::option::Option::Some(other)) = (&problem, rule.same_as) {
                            problem = ::formwork::schema::confirm(&rule, text, other, &texts, <Self as ::formwork::schema::Schema>::FIELDS);
                        }
                        if let ::core::option::Option::Some(message) = problem {
                            report.append(
                                parent().join(#field_keys),
                                ::formwork::__private::garde::Error::new(message),
                            );
                        }
                    }
                )*
            }
        }

        impl ::formwork::schema::Schema for #name {
            const FIELDS: &'static [(&'static str, ::formwork::schema::Rule)] =
                &[#((#field_keys, #rules)),*];

            type Fields = #handles;

            fn fields(field: impl Fn(&'static str) -> ::formwork::Field) -> #handles {
                #handles { #(#field_names: field(#field_keys)),* }
            }

            fn normalize(&mut self) {
                #[allow(unused_imports)]
                use ::formwork::__private::decode::{TrimNone as _, TrimText as _};
                #(
                    if ::formwork::schema::Rule::trims(&#rules) {
                        ::formwork::__private::decode::ProbeMut(&mut self.#field_names).trim_text();
                    }
                )*
            }
        }
    }
}

/// `attr` without `Deserialize` in it when it is a `#[derive(…)]` (none when nothing is left);
/// the paths taken out go to `stripped`.
fn without_deserialize(attr: Attribute, stripped: &mut Vec<syn::Path>) -> Option<Attribute> {
    if !attr.path().is_ident("derive") {
        return Some(attr);
    }
    let Ok(paths) = attr.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
    else {
        return Some(attr);
    };
    let (gone, kept): (Vec<_>, Vec<_>) = paths.into_iter().partition(|path| {
        path.segments
            .last()
            .is_some_and(|last| last.ident == "Deserialize")
    });
    stripped.extend(gone);
    if kept.is_empty() {
        return None;
    }
    Some(syn::parse_quote!(#[derive(#(#kept),*)]))
}
